/** Create (if missing) the TASKER streams and a pool's durable consumer. Idempotent and race-safe. */
import type { JetStreamManager, ConsumerInfo, StreamInfo } from '@nats-io/jetstream';
import { SetupError } from '../errors/index.js';
import { JOBS_STREAM, RESULTS_STREAM, poolConsumer, subjects } from './subjects.js';

export interface EnsureOptions {
  pool: string;
  /** Redelivery delay of the pool consumer. */
  ackWaitMs: number;
  /** Change `ack_wait` of an existing consumer to `ackWaitMs` (the controller does; workers don't). */
  updateAckWait?: boolean;
  /** How long results are kept, ms. Default 7 days. */
  resultsMaxAgeMs?: number;
  /**
   * Replicas of each stream (1..5). New streams get this many (default 1); with `updateReplicas`
   * an existing stream with another count is scaled to it (the controller does; workers don't).
   */
  replicas?: number;
  updateReplicas?: boolean;
}

const NS_PER_MS = 1_000_000;

/** Make sure both streams and the pool's consumer exist; returns the consumer info. */
export async function ensureStreams(jsm: JetStreamManager, opts: EnsureOptions): Promise<ConsumerInfo> {
  const js = await import('@nats-io/jetstream');
  const num_replicas = opts.replicas ?? 1;
  await ensureStream(jsm, opts, {
    name: JOBS_STREAM,
    subjects: [subjects.jobsAll],
    retention: js.RetentionPolicy.Workqueue,
    storage: js.StorageType.File,
    discard: js.DiscardPolicy.Old,
    num_replicas,
  });
  await ensureStream(jsm, opts, {
    name: RESULTS_STREAM,
    subjects: [subjects.resultsAll],
    retention: js.RetentionPolicy.Limits,
    storage: js.StorageType.File,
    max_age: (opts.resultsMaxAgeMs ?? 7 * 24 * 3600 * 1000) * NS_PER_MS,
    num_replicas,
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

export type StreamConfig = Parameters<JetStreamManager['streams']['add']>[0] & { name: string; num_replicas: number };

/**
 * Create the stream `cfg` when missing (race-safe: created meanwhile by another is fine); with
 * `opts.updateReplicas`, scale an existing one to `opts.replicas`.
 */
export async function ensureStream(jsm: JetStreamManager, opts: Pick<EnsureOptions, 'replicas' | 'updateReplicas'>, cfg: StreamConfig): Promise<void> {
  const existing = await streamInfo(jsm, cfg.name);
  if (existing) {
    if (opts.updateReplicas && opts.replicas !== undefined && existing.config.num_replicas !== opts.replicas) {
      // Scaling a stream keeps its messages: the server copies them to the new peers.
      await jsm.streams.update(cfg.name, { ...existing.config, num_replicas: opts.replicas }).catch((e: unknown) => {
        throw replicasError(e, cfg, `scale stream ${cfg.name} from ${existing.config.num_replicas} to`);
      });
    }
    return;
  }
  try {
    await jsm.streams.add(cfg);
  } catch (e) {
    if (await streamInfo(jsm, cfg.name)) return;
    throw replicasError(e, cfg, `create stream ${cfg.name} with`);
  }
}

/** A refused stream change as one line naming the replica count and where it is set. */
function replicasError(e: unknown, cfg: StreamConfig, what: string): unknown {
  const msg = (e as Error)?.message ?? String(e);
  if (isPermissionDenied(e)) return e;
  const fix = 'set nats.replicas (or --nats-replicas) to at most the number of JetStream servers in the cluster (1 for a single server)';
  const replicas = `${cfg.num_replicas} replica${cfg.num_replicas === 1 ? '' : 's'}`;
  if (placementFailure(e)) {
    return new SetupError(`cannot ${what} ${replicas}: ${msg}: fewer JetStream servers up than replicas; start the stopped member, or ${fix}`, { cause: e });
  }
  if (/replica|clustered|insufficient resources|peers/i.test(msg)) return new SetupError(`cannot ${what} ${replicas}: ${msg}; ${fix}`, { cause: e });
  return e;
}

/**
 * JetStream could not place a stream's (or consumer's) replicas: fewer servers up than replicas
 * (err_code 10005, `no suitable peers for placement`). A member stopped for a restart or an upgrade
 * makes it so until it is back; more replicas than the cluster has servers, for good.
 */
export function placementFailure(e: unknown): string | undefined {
  for (let err = e as (Error & { code?: unknown; cause?: unknown }) | undefined; err; err = err.cause as typeof err) {
    if (err.name === 'JetStreamApiError' && err.code === PLACEMENT_FAILED) return err.message;
  }
  return undefined;
}

const PLACEMENT_FAILED = 10005;

/** The server refused a JetStream API call to this user (the deploy config's agent role may not create streams). */
export function isPermissionDenied(e: unknown): boolean {
  const err = e as Error;
  return err?.name === 'PermissionViolationError' || /permissions? violation/i.test(err?.message ?? '');
}

async function streamInfo(jsm: JetStreamManager, name: string): Promise<StreamInfo | undefined> {
  try {
    return await jsm.streams.info(name);
  } catch (e) {
    if (isNotFound(e)) return undefined;
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
