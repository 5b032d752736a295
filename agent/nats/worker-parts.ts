/** What a NATS job worker is given: its connection, consumer and settings, and what it logs through. */
import type { NatsConnection } from '@nats-io/transport-node';
import type { Consumer, JetStreamClient, JetStreamManager } from '@nats-io/jetstream';
import type { StreamPublisher } from '../../shared/nats/index.js';

/** What the worker logs through; a winston logger fits. */
export interface WorkerLogger {
  info(message: string, meta?: Record<string, unknown>): unknown;
  warn(message: string, meta?: Record<string, unknown>): unknown;
  error(message: string, meta?: Record<string, unknown>): unknown;
  /** Whether `level` is logged (winston has it): a per-job line is not built when it would be dropped. */
  isLevelEnabled?(level: string): boolean;
}

/** What a started worker works with (startNatsWorker in worker.ts connects and builds it). */
export interface WorkerParts {
  nc: NatsConnection;
  js: JetStreamClient;
  jsm: JetStreamManager;
  /** Stores claims and results, waiting for JetStream's acknowledgement. */
  store: StreamPublisher;
  consumer: Consumer;
  name: string;
  /** Unique per process: names its attempts and its holds subject. */
  instance: string;
  lostAfterMs: number;
  /** How long a finished job's result is retried before the job is handed back. */
  resultPatienceMs: number;
  pool: string;
  max: number;
  workdir: string;
  log: WorkerLogger;
  /** Current ack_wait of the pool consumer (refreshed). */
  ackWaitMs: number;
  drainMs: number;
  /** Between SIGTERM and SIGKILL of a stopped job's processes (`--kill-grace`). */
  killGraceMs: number;
}
