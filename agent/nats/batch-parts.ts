/**
 * A delivered batch (shared/nats/job-batch.ts) as one job per task file: each part goes through
 * the worker exactly as a job alone (claim, run, result, ack), and the batch message is settled
 * once every part is:
 * - every part acked: the batch is acked;
 * - any part handed back (`nak`: held by another agent, a failed claim, a shutdown): the batch is
 *   handed back with the longest delay asked, once the other parts are done. Its next delivery
 *   finds the finished parts' results at their claims and runs only the others;
 * - a part that waited too long for a slot here (job-slots.ts: the running files turned out long)
 *   is handed off: the run's controller publishes it to the pool as a job of its own (agents never
 *   publish jobs), for an idle agent to take. It was not claimed here, so it runs once, wherever
 *   its claim succeeds. Without an answer (no controller: it crashed and waits for --resume) the
 *   batch is handed back instead, once its other parts are done. A batch claimed whole
 *   hands parts off on its first delivery only (BatchClaim.whole): in a redelivery a file may have
 *   started under an earlier delivery's claim (a start mark in the batch attempt or in another
 *   file's result, nothing on its own subject), which only the batch's claim reads, so such a part
 *   is handed back with the batch. Without batch claims each file is claimed on its own subject,
 *   handed off or not.
 * `working()` of any part keeps the whole batch from being redelivered.
 */
import type { NatsConnection } from '@nats-io/transport-node';
import { subjects, type HandOffReply, type HandOffRequest, type JobMessage } from '../../shared/nats/index.js';
import type { PulledJob } from './pull-jobs.js';
import { safely } from './safely.js';
import type { BatchClaim } from './batch-claim.js';

/** A part of a batch: a job with its message already parsed, that can be handed off on its own. */
export interface BatchPart extends PulledJob {
  readonly job: JobMessage;
  /** The batch's claim as a whole, when its controller reads batch claims (batch-claim.ts). */
  readonly batch?: BatchClaim;
  /** Have the controller publish the part as a job of its own, and count it done here; a failure hands the batch back. */
  handOff(): void;
}

const HANDOFF_TIMEOUT_MS = 5000;

/**
 * Split a delivered batch into its parts; handed-off parts are sent to the controller over `nc`.
 * A part of a run cancelled meanwhile (`cancelled`) is handed back instead: its run's queue was purged.
 * `batch`, the batch's claim, is released once every part is settled.
 */
export function batchParts(
  msg: PulledJob, jobs: readonly JobMessage[], pool: string, nc: NatsConnection, cancelled: (runId: string) => boolean, batch?: BatchClaim,
): BatchPart[] {
  let open = jobs.length;
  let nakDelay: number | undefined;
  const settle = (nak?: number) => {
    if (nak !== undefined) nakDelay = Math.max(nakDelay ?? 0, nak);
    if (--open > 0) return;
    batch?.release();
    safely(() => (nakDelay === undefined ? msg.ack() : msg.nak(nakDelay || undefined)));
  };
  return jobs.map((job) => {
    let settled = false;
    const once = (fn: () => void) => {
      if (settled) return;
      settled = true;
      fn();
    };
    return {
      job,
      ...(batch ? { batch } : {}),
      subject: subjects.job(pool, job.run_id, job.seq),
      data: msg.data,
      seq: msg.seq,
      info: msg.info,
      ack: () => once(() => settle()),
      nak: (delayMs?: number) => once(() => settle(delayMs ?? 0)),
      working: () => msg.working(),
      term: () => once(() => settle()),
      handOff: () =>
        once(() => {
          if (cancelled(job.run_id)) return settle(0);
          // Only the batch's claim can tell whether a file of a redelivery started before: it goes back with the batch.
          if (batch && !batch.whole) return settle(0);
          const req: HandOffRequest = { seqs: [job.seq], stream_seq: msg.seq, delivery: msg.info.deliveryCount };
          nc.request(subjects.handOff(job.run_id), encoder.encode(JSON.stringify(req)), { timeout: HANDOFF_TIMEOUT_MS }).then(
            (m) => settle(handedOff(m.data) ? undefined : 0),
            () => settle(0),
          );
        }),
    };
  });
}

const encoder = new TextEncoder();

function handedOff(data: Uint8Array): boolean {
  try {
    return (JSON.parse(new TextDecoder().decode(data)) as HandOffReply).ok === true;
  } catch {
    return false;
  }
}
