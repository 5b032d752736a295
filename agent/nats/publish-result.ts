/** Storing a job's result in the results stream, and results for jobs that never ran. */
import type { NatsConnection } from '@nats-io/transport-node';
import type { JetStreamClient } from '@nats-io/jetstream';
import { JOB_VERSION, encodeMessage, type JobStatus, type ResultMessage } from '../../shared/nats/schema.js';
import { subjects } from '../../shared/nats/subjects.js';

const ATTEMPTS = 3;
const RETRY_DELAY_MS = 500;

/**
 * Publish a result and wait for JetStream to store it, retrying a few times. The message id
 * `<run>.<seq>` lets JetStream drop a second copy from a re-run within its duplicate window.
 * Throws when it could not be stored (the caller naks the job).
 */
export async function publishResult(nc: NatsConnection, js: JetStreamClient, result: ResultMessage): Promise<void> {
  let last: unknown;
  for (let attempt = 0; attempt < ATTEMPTS; attempt++) {
    try {
      await js.publish(subjects.results(result.run_id), encodeMessage(result), {
        msgID: `${result.run_id}.${result.seq}`,
        timeout: 5000,
      });
      return;
    } catch (e) {
      last = e;
      if (nc.isClosed()) break;
      await new Promise((r) => setTimeout(r, RETRY_DELAY_MS * (attempt + 1)));
    }
  }
  throw last;
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
