/** Create (if missing) the TASKER streams and a pool's durable consumer. Idempotent and race-safe. */
import type { JetStreamManager, ConsumerInfo } from '@nats-io/jetstream';
import { JOBS_STREAM, RESULTS_STREAM, poolConsumer, subjects } from './subjects.js';

export interface EnsureOptions {
  pool: string;
  /** Redelivery delay of the pool consumer. */
  ackWaitMs: number;
  /** Change `ack_wait` of an existing consumer to `ackWaitMs` (the controller does; workers don't). */
  updateAckWait?: boolean;
  /** How long results are kept, ms. Default 7 days. */
  resultsMaxAgeMs?: number;
}

const NS_PER_MS = 1_000_000;

/** Make sure both streams and the pool's consumer exist; returns the consumer info. */
export async function ensureStreams(jsm: JetStreamManager, opts: EnsureOptions): Promise<ConsumerInfo> {
  const js = await import('@nats-io/jetstream');
  await ensureStream(jsm, JOBS_STREAM, {
    name: JOBS_STREAM,
    subjects: [subjects.jobsAll],
    retention: js.RetentionPolicy.Workqueue,
    storage: js.StorageType.File,
    discard: js.DiscardPolicy.Old,
  });
  await ensureStream(jsm, RESULTS_STREAM, {
    name: RESULTS_STREAM,
    subjects: [subjects.resultsAll],
    retention: js.RetentionPolicy.Limits,
    storage: js.StorageType.File,
    max_age: (opts.resultsMaxAgeMs ?? 7 * 24 * 3600 * 1000) * NS_PER_MS,
  });
  const durable = poolConsumer(opts.pool);
  const ackWait = Math.round(opts.ackWaitMs) * NS_PER_MS;
  let info = await consumerInfo(jsm, durable);
  if (!info) {
    try {
      info = await jsm.consumers.add(JOBS_STREAM, {
        durable_name: durable,
        ack_policy: js.AckPolicy.Explicit,
        deliver_policy: js.DeliverPolicy.All,
        filter_subject: subjects.poolJobs(opts.pool),
        ack_wait: ackWait,
        max_deliver: -1,
        max_ack_pending: 20_000,
      });
    } catch (e) {
      info = await consumerInfo(jsm, durable); // created by someone else meanwhile
      if (!info) throw e;
    }
  }
  if (opts.updateAckWait && info.config.ack_wait !== ackWait) {
    info = await jsm.consumers.update(JOBS_STREAM, durable, { ack_wait: ackWait });
  }
  return info;
}

async function ensureStream(
  jsm: JetStreamManager,
  name: string,
  cfg: Parameters<JetStreamManager['streams']['add']>[0],
): Promise<void> {
  if (await streamExists(jsm, name)) return;
  try {
    await jsm.streams.add(cfg);
  } catch (e) {
    if (!(await streamExists(jsm, name))) throw e;
  }
}

async function streamExists(jsm: JetStreamManager, name: string): Promise<boolean> {
  try {
    await jsm.streams.info(name);
    return true;
  } catch (e) {
    if (isNotFound(e)) return false;
    throw e;
  }
}

async function consumerInfo(jsm: JetStreamManager, durable: string): Promise<ConsumerInfo | undefined> {
  try {
    return await jsm.consumers.info(JOBS_STREAM, durable);
  } catch (e) {
    if (isNotFound(e)) return undefined;
    throw e;
  }
}

function isNotFound(e: unknown): boolean {
  const err = e as Error;
  return err?.name === 'StreamNotFoundError' || err?.name === 'ConsumerNotFoundError' || /not found/i.test(err?.message ?? '');
}
