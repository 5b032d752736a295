/**
 * Names of the JetStream streams, subjects and consumers TASKER uses. One place, so controller and
 * worker always agree.
 *
 * Jobs:     stream TASKER_JOBS (work queue),  subject tasker.jobs.<pool>.<runId>.<seq>
 * Results:  stream TASKER_RESULTS (limits),   subject tasker.results.<runId>.<seq>
 *           (a job's attempts, then its result: the last message says whether it is done),
 *           and tasker.results.<runId>.<first>-<last> (a batch's claim, stored once)
 * Cancel:   core NATS,                        subject tasker.cancel.<runId>
 * Progress: core NATS (not stored),           subject tasker.progress.<runId>
 * Holds:    core NATS, request/reply,         subject tasker.holds.<agent instance>
 *           (does the agent that claimed a job still hold it?)
 *
 * One durable pull consumer per pool (`pool_<pool>`, single `filter_subject`
 * `tasker.jobs.<pool>.>`): nats-server 2.9 has no `filter_subjects`, and a work-queue stream
 * allows only non-overlapping consumers, so every worker of a pool shares that one consumer.
 * Putting run id and seq in the subject lets the controller ask the server which jobs of a run are
 * still queued (stream info `subjects_filter`) and purge a cancelled run's queue.
 */
import { ConfigError } from '../errors/index.js';

export const JOBS_STREAM = 'TASKER_JOBS';
export const RESULTS_STREAM = 'TASKER_RESULTS';
export const DEFAULT_POOL = 'default';

const TOKEN = /^[A-Za-z0-9_-]{1,64}$/;

/** A pool name or run id must be one NATS subject token (letters, digits, `_`, `-`). */
export function isSubjectToken(value: string): boolean {
  return TOKEN.test(value);
}

/** Throws a readable error when `value` cannot be used as a subject token. */
export function checkSubjectToken(what: string, value: string): string {
  if (!isSubjectToken(value)) {
    throw new ConfigError(`${what} must be 1-64 letters, digits, '_' or '-', got \`${value}\``);
  }
  return value;
}

export const subjects = {
  jobsAll: 'tasker.jobs.>',
  resultsAll: 'tasker.results.>',
  cancelAll: 'tasker.cancel.*',
  job: (pool: string, runId: string, seq: number) => `tasker.jobs.${pool}.${runId}.${seq}`,
  /** A batch of the task files `first`..`last` in one message (shared/nats/job-batch.ts). */
  jobBatch: (pool: string, runId: string, first: number, last: number) => `tasker.jobs.${pool}.${runId}.${first}-${last}`,
  poolJobs: (pool: string) => `tasker.jobs.${pool}.>`,
  runJobs: (pool: string, runId: string) => `tasker.jobs.${pool}.${runId}.>`,
  /** Every stored message of a run's jobs (attempts and results). */
  runResults: (runId: string) => `tasker.results.${runId}.>`,
  /** One job's attempts and result, in order; read last-by-subject before running it. */
  jobResult: (runId: string, seq: number) => `tasker.results.${runId}.${seq}`,
  /** A batch's claim (its batch attempt), stored once by the agent that claimed the whole batch. */
  batchResult: (runId: string, first: number, last: number) => `tasker.results.${runId}.${first}-${last}`,
  holds: (instance: string) => `tasker.holds.${instance}`,
  cancel: (runId: string) => `tasker.cancel.${runId}`,
  progress: (runId: string) => `tasker.progress.${runId}`,
  /** Agents of a pool answer who they are and how many slots they have (the batch size is chosen from it). */
  fleet: (pool: string) => `tasker.fleet.${pool}`,
  /** Agents hand files of a batch back to the run's controller, which publishes them as jobs of their own. */
  handOff: (runId: string) => `tasker.handoff.${runId}`,
} as const;

/** Durable consumer name of a pool. */
export function poolConsumer(pool: string): string {
  return `pool_${pool}`;
}

/** The most task files one batch subject may name (a larger range is not ours). */
export const MAX_BATCH = 64;

/** The seqs a job subject names: one (`.<seq>`), a batch's range (`.<first>-<last>`), or none. */
export function seqsOfJobSubject(subject: string): number[] {
  const m = /^(\d+)(?:-(\d+))?$/.exec(subject.slice(subject.lastIndexOf('.') + 1));
  if (!m) return [];
  const first = Number(m[1]);
  const end = m[2] === undefined ? first : Number(m[2]);
  if (!Number.isSafeInteger(first) || !Number.isSafeInteger(end) || first < 1 || end < first || end - first >= MAX_BATCH) return [];
  return Array.from({ length: end - first + 1 }, (_, i) => first + i);
}
