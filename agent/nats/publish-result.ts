/** Storing a job's result in the results stream, and results for jobs that never ran. */
import type { NatsConnection } from '@nats-io/transport-node';
import type { StreamPublisher } from '../../shared/nats/index.js';
import { JOB_VERSION, encodeMessage, type JobStatus, type ResultMessage } from '../../shared/nats/index.js';
import { subjects } from '../../shared/nats/index.js';

const RETRY_DELAY_MS = 500;
const MAX_RETRY_DELAY_MS = 5000;

/**
 * Publish a result on the job's results subject and wait for JetStream to store it, retrying
 * while `keepTrying()` says so (the worker keeps trying through a nats-server restart, so a job
 * that ran is not run again for want of its result). The message id `<run>.<seq>.<instance>`
 * makes a retry that was stored after all count once. Throws the last error when it gives up.
 */
export async function publishResult(
  nc: NatsConnection, store: StreamPublisher, result: ResultMessage, instance: string, keepTrying: (attempt: number) => boolean,
): Promise<void> {
  for (let attempt = 0; ; attempt++) {
    try {
      await store.publish(subjects.jobResult(result.run_id, result.seq), encodeMessage(result), {
        msgID: `${result.run_id}.${result.seq}.${instance}`,
        timeoutMs: 5000,
      });
      return;
    } catch (e) {
      if (nc.isClosed() || !keepTrying(attempt + 1)) throw e;
      await new Promise((r) => setTimeout(r, Math.min(MAX_RETRY_DELAY_MS, RETRY_DELAY_MS * (attempt + 1))));
    }
  }
}

/** The result of a job that did not run (malformed → ERROR, dropped after a cancel → CANCELLED). */
export function unrunResult(o: {
  runId: string; seq: number; taskFile: string; agent: string; worker: number; delivery: number;
  status: JobStatus; error: string;
}): ResultMessage {
  const now = new Date().toISOString();
  return {
    v: JOB_VERSION, run_id: o.runId, seq: o.seq, task_file: o.taskFile, status: o.status, exit_code: null,
    start_time: now, end_time: now, duration_seconds: 0, agent: o.agent, worker: o.worker,
    command_executed: '', error_message: o.error, stdout_tail: '', stderr_tail: '', delivery: o.delivery,
  };
}
