/**
 * The NATS worker of tasker-agent: connects, makes sure the pool's consumer exists, and starts a
 * JobWorker (job-worker.ts, which states the delivery rules) pulling its jobs.
 */
import { DEFAULT_KILL_GRACE_MS } from '../../shared/exec/index.js';
import { randomBytes } from 'node:crypto';
import { availableParallelism, hostname } from 'node:os';
import { resolve } from 'node:path';
import type { Consumer, ConsumerInfo, JetStreamClient, JetStreamManager } from '@nats-io/jetstream';
import {
  connectNats,
  setUpJetStream,
  DEFAULT_ACK_WAIT_SEC,
  type NatsAuth,
  type NatsTls,
} from '../../shared/nats/index.js';
import { ensureStreams, isPermissionDenied, openStreamPublisher } from '../../shared/nats/index.js';
import { SetupError } from '../../shared/errors/index.js';
import { DEFAULT_POOL, JOBS_STREAM, checkSubjectToken, poolConsumer } from '../../shared/nats/index.js';
import { ConfigError } from '../../shared/errors/index.js';
import { JobWorker, type WorkerLogger } from './job-worker.js';
import { defaultWorkdir, prepareWorkdir, removeDeadWorkspaces } from './workspaces.js';

export type { WorkerLogger } from './job-worker.js';

export interface NatsWorkerOptions {
  /** NATS URL(s), e.g. `nats://127.0.0.1:4222`. */
  servers: string | string[];
  /** Pool whose jobs this worker takes. Default `default`. */
  pool?: string;
  /** Jobs run at once. Default: number of CPUs. */
  max?: number;
  /** Agent name recorded in results. Default `<hostname>-<pid>`. */
  name?: string;
  /** `ack_wait` used if this worker creates the pool consumer. Default 30 s. */
  ackWaitMs?: number;
  auth?: NatsAuth;
  tls?: NatsTls;
  /** Parent directory of the per-job workspaces. Default `<tmpdir>/tasker-nats-<uid>` (workspaces.ts). */
  workdir?: string;
  logger?: WorkerLogger;
  /** On stop(), how long running jobs may finish before they are killed and handed back. Default 30 s. */
  drainMs?: number;
  /**
   * How long the agent that claimed a job may not answer before its execution counts as lost and
   * the job runs again. Default 5 s: long enough for an agent to reconnect after a server restart.
   */
  lostAfterMs?: number;
  /**
   * How long a finished job's result is retried (a server restart, a cluster without a quorum)
   * before the job is handed back, to run again. Default 120 s (docs/nats.md "Exactly once").
   */
  resultPatienceMs?: number;
  /**
   * Between SIGTERM and SIGKILL of a cancelled or timed-out job's process group (`--kill-grace`,
   * `agent.kill_grace`). Default 2 s, as local runs.
   */
  killGraceMs?: number;
  /** Replicas of the streams if this worker creates them (it never changes existing ones). */
  replicas?: number;
  /** Aborts the wait for a controller to create the streams (a user that may not create them). */
  signal?: AbortSignal;
}

export interface NatsWorker {
  readonly name: string;
  /** Stop taking jobs, let running ones finish (up to drainMs, then kill and hand them back), disconnect. */
  stop(): Promise<void>;
}

const DEFAULT_LOST_AFTER_MS = 5000;
const DEFAULT_RESULT_PATIENCE_MS = 120_000;

const silentLogger: WorkerLogger = { info: () => undefined, warn: () => undefined, error: () => undefined };

/** Connect, make sure the pool's consumer exists, and start pulling jobs. */
export async function startNatsWorker(options: NatsWorkerOptions): Promise<NatsWorker> {
  const pool = checkSubjectToken('pool', options.pool ?? DEFAULT_POOL);
  const max = options.max ?? availableParallelism();
  if (!Number.isInteger(max) || max < 1) throw new ConfigError(`max must be a whole number of at least 1, got ${max}`);
  const name = options.name ?? `${hostname()}-${process.pid}`;
  const log = options.logger ?? silentLogger;
  const workdir = resolve(options.workdir ?? defaultWorkdir());
  prepareWorkdir(workdir);
  const cleaned = await removeDeadWorkspaces(workdir);
  if (cleaned.length) log.info('removed the workspaces of agents that are gone', { agent: name, workdir, removed: cleaned.length });
  const where = (Array.isArray(options.servers) ? options.servers : [options.servers]).join(',');

  const nc = await connectNats({ servers: options.servers, auth: options.auth, tls: options.tls, name: `tasker-agent ${name}` });
  let consumer: Consumer;
  let js: JetStreamClient;
  let jsm: JetStreamManager;
  let ackWaitMs: number;
  try {
    const ensure = { pool, ackWaitMs: options.ackWaitMs ?? DEFAULT_ACK_WAIT_SEC * 1000, replicas: options.replicas };
    let info: ConsumerInfo;
    ({ jsm, info } = await setUpJetStream(nc, where, async (m) => ({
      jsm: m,
      info: await ensureStreams(m, ensure).catch((e: unknown) => {
        if (!isPermissionDenied(e)) throw e;
        return awaitPoolConsumer(m, pool, log, name, options.signal);
      }),
    }), { note: (text) => log.warn(text, { agent: name }), signal: options.signal }));
    ackWaitMs = (info.config.ack_wait ?? DEFAULT_ACK_WAIT_SEC * 1e9) / 1e6;
    const { jetstream } = await import('@nats-io/jetstream');
    js = jetstream(nc);
    consumer = await js.consumers.get(JOBS_STREAM, poolConsumer(pool));
  } catch (e) {
    await nc.close().catch(() => undefined);
    throw e;
  }

  const instance = randomBytes(8).toString('hex');
  const store = await openStreamPublisher(nc);
  const worker = new JobWorker({
    nc, js, jsm, store, consumer, name, instance, pool, max, workdir, log, ackWaitMs, drainMs: options.drainMs ?? 30_000,
    lostAfterMs: options.lostAfterMs ?? DEFAULT_LOST_AFTER_MS, resultPatienceMs: options.resultPatienceMs ?? DEFAULT_RESULT_PATIENCE_MS,
    killGraceMs: options.killGraceMs ?? DEFAULT_KILL_GRACE_MS,
  });
  worker.start();
  log.info('nats worker started', { agent: name, pool, max, servers: where, ackWaitMs });
  return { name, stop: () => worker.stop() };
}

const CONSUMER_POLL_MS = 2000;

/**
 * An agent user of least privilege (the agent role of deploy/nats-auth.conf) may not create streams or
 * consumers: wait for a controller to create them, looking every 2 s.
 */
async function awaitPoolConsumer(
  jsm: JetStreamManager, pool: string, log: WorkerLogger, name: string, signal: AbortSignal | undefined,
): Promise<ConsumerInfo> {
  log.info('waiting for a controller to create the TASKER streams and the pool consumer (this NATS user may not)', { agent: name, pool });
  for (;;) {
    if (signal?.aborted) throw new SetupError(`stopped while waiting for a controller to create the consumer ${poolConsumer(pool)} on ${JOBS_STREAM}`);
    try {
      return await jsm.consumers.info(JOBS_STREAM, poolConsumer(pool));
    } catch (e) {
      if (isPermissionDenied(e)) {
        throw new SetupError(`this NATS user may not read the consumer ${poolConsumer(pool)} either; give it $JS.API.CONSUMER.INFO.${JOBS_STREAM}.* (see deploy/nats-auth.conf)`, { cause: e });
      }
      await new Promise((r) => setTimeout(r, CONSUMER_POLL_MS));
    }
  }
}
