/** Storing a job's result in the results stream, and results for jobs that never ran. */
import type { NatsConnection } from '@nats-io/transport-node';
import type { StreamPublisher } from '../../shared/nats/index.js';
import { JOB_VERSION, encodeMessage, type JobMessage, type JobStatus, type Parsed, type ResultMessage } from '../../shared/nats/index.js';
import { isSubjectToken, seqsOfJobSubject, subjects } from '../../shared/nats/index.js';
import type { PulledJob } from './pull-jobs.js';
import type { WorkerParts } from './worker-parts.js';

const RETRY_DELAY_MS = 500;
const MAX_RETRY_DELAY_MS = 5000;

let published = 0;

/**
 * Publish a result on the job's results subject and wait for JetStream to store it, retrying
 * while `keepTrying()` says so (the worker keeps trying through a nats-server restart, so a job
 * that ran is not run again for want of its result). The message id `<run>.<seq>.<instance>.r<n>`,
 * `n` new for each result, makes a retry that was stored after all count once, and never hides
 * another result of the same file (one that ran twice here must show as such).
 * Throws the last error when it gives up.
 */
export async function publishResult(
  nc: NatsConnection, store: StreamPublisher, result: ResultMessage, instance: string, keepTrying: (attempt: number) => boolean,
): Promise<void> {
  const msgID = `${result.run_id}.${result.seq}.${instance}.r${++published}`;
  for (let attempt = 0; ; attempt++) {
    try {
      await store.publish(subjects.jobResult(result.run_id, result.seq), encodeMessage(result), {
        msgID,
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

/**
 * A malformed job message is terminated and reported: an ERROR result for each job whose run and
 * seq can be read (from the payload, else the subject `tasker.jobs.<pool>.<runId>.<seq>` or a
 * batch's `.<first>-<last>`), so the controller is told instead of waiting.
 */
export async function reportMalformed(p: WorkerParts, msg: PulledJob, parsed: Parsed<JobMessage[]> & { ok: false }): Promise<void> {
  p.log.error('malformed job terminated', { agent: p.name, subject: msg.subject, streamSeq: msg.seq, error: parsed.error });
  const [, , , subjectRun] = msg.subject.split('.');
  const runId = parsed.runId ?? (subjectRun && isSubjectToken(subjectRun) ? subjectRun : undefined);
  const seqs = seqsOfJobSubject(msg.subject);
  if (runId !== undefined) {
    for (const seq of seqs.length === 1 && parsed.seq !== undefined ? [parsed.seq] : seqs) {
      const r = unrunResult({
        runId, seq, taskFile: parsed.taskFile ?? '', agent: p.name, worker: 0, delivery: msg.info.deliveryCount,
        status: 'ERROR', error: `Error: malformed job: ${parsed.error}`,
      });
      await publishResult(p.nc, p.store, r, p.instance, (n) => n < 3).catch(() => undefined);
    }
  }
  msg.term();
}
