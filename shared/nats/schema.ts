/**
 * The messages TASKER sends over NATS, and their validation. Everything read from the wire goes
 * through `parseJob` / `parseResult`: a malformed message gives an error naming the field, never a
 * throw.
 */
import type { FailureDetail } from '../failure-detail.js';
import { isSubjectToken } from './subjects.js';
import { isBase64, parseShippedRecords, type ShippedRecords } from './records.js';

export const JOB_VERSION = 1;

/** Final status of a job, as in parallelr's results file. */
export type JobStatus = 'SUCCESS' | 'FAILED' | 'TIMEOUT' | 'CANCELLED' | 'ERROR';
export const JOB_STATUSES: readonly JobStatus[] = ['SUCCESS', 'FAILED', 'TIMEOUT', 'CANCELLED', 'ERROR'];

/** One task file to run, as published on `tasker.jobs.<pool>.<runId>.<seq>`. */
export interface JobMessage {
  v: typeof JOB_VERSION;
  run_id: string;
  /** 1-based position of the task file in the run. */
  seq: number;
  /** The task file as the operator named it (recorded in results). */
  task_file: string;
  /** Base name the shipped copy gets in the job's workspace. */
  file_name: string;
  /** File content, base64. */
  content: string;
  /** Command template; `@TASK@` is replaced by the path of the shipped copy (one argv element). */
  command: string;
  /** Per-job timeout in seconds (0 = none). */
  timeout_sec: number;
  /** Characters of stdout/stderr kept in the result (the last ones). */
  output_tail: number;
  /** Bytes per shipped record file (tasker commands only; records.ts). Absent: the default cap. */
  records_cap?: number;
  /** The controller reads small record bundles inline in the result (records.ts); absent for an older controller: chunks only. */
  records_inline?: true;
  /**
   * false (`parallelr --no-in-process`): the agent starts a tasker command as a process instead of
   * running the file with the engine in-process. Absent (older controllers): in-process when the
   * command is tasker. Agents older than this field ignore it and run in-process.
   */
  in_process?: boolean;
  /**
   * The `--auto-recovery` state the controller keeps for this task file (base64), where a local run
   * keeps it: the agent's in-process run resumes from it (agent/nats/recovery-travel.ts). Absent: none.
   */
  recovery?: string;
}

/** Outcome of one job, published on `tasker.results.<runId>` before the job is acknowledged. */
export interface ResultMessage {
  v: typeof JOB_VERSION;
  run_id: string;
  seq: number;
  task_file: string;
  status: JobStatus;
  /** Process exit code; null when it never ran to an exit (ERROR, CANCELLED before start). */
  exit_code: number | null;
  start_time: string;
  end_time: string;
  duration_seconds: number;
  /** Name of the agent (worker process) that ran it. */
  agent: string;
  /** Concurrency slot on that agent (1..max). */
  worker: number;
  /** The argv actually run, joined for display. */
  command_executed: string;
  error_message: string;
  stdout_tail: string;
  stderr_tail: string;
  /**
   * Why a failed tasker job failed, read by the agent from the job's whole output as local parallelr
   * reads a file's (shared/failure-detail.ts: its stderr's start, its stdout's end), not from the
   * tails. Absent when the output names nothing, for other results, and from older agents (the
   * controller then reads the tails).
   */
  failure_detail?: FailureDetailMessage;
  /** How many times NATS had delivered the job when this result was made (1 = first). */
  delivery: number;
  /**
   * Earlier executions of this job that stored no result (their agent was lost mid-job): the job
   * ran 1 + this many times. Absent when it ran once.
   */
  earlier_runs?: EarlierRun[];
  /** The tasker records shipped to TASKER_RECORDS (records.ts); absent when the command is not tasker. */
  records?: ShippedRecords;
  /**
   * Files of the same batch this agent started in the slot this job freed, under its batch claim
   * (shared/nats/attempt.ts): they start only once this result is stored. Absent for none.
   */
  started?: StartMark[];
}

/** A file an agent starts under its batch claim, and the slot it runs in. */
export interface StartMark {
  seq: number;
  worker: number;
}

/** An execution of a job that stored no result (its agent was lost, or stopped, mid-job). */
export interface EarlierRun {
  agent: string;
  /** When that agent claimed the job (ISO). */
  start_time: string;
  cause: string;
}

/** Stored on a job's results subject before an agent runs it (shared/nats/attempt.ts). */
export interface AttemptMessage {
  type: 'attempt';
  v: typeof JOB_VERSION;
  run_id: string;
  seq: number;
  agent: string;
  /** The worker process's unique id: its `tasker.holds.<instance>` subject answers for it. */
  instance: string;
  delivery: number;
  /**
   * With `instance`, names the claim that stored it. Delivery counts are per message and the same
   * file can be queued in several messages (handed off, published again), so an agent numbers its
   * claims itself. Absent in attempts of older agents.
   */
  claim?: number;
  start_time: string;
  earlier_runs: EarlierRun[];
  /**
   * The agent's slot that runs the job. Stored attempts are how a controller (and the console) learn
   * a job started: agents of this version send no `started` notice (docs/nats.md, "Throughput").
   * Absent in attempts of older agents, which send the notice instead.
   */
  worker?: number;
}

/**
 * Stored once on a batch's results subject (`tasker.results.<run>.<first>-<last>`) by the agent
 * that claims the whole batch on its delivery (shared/nats/attempt.ts): the files it starts at
 * once are in `started`; each later one is marked in the stored result of the file whose slot it
 * takes (`ResultMessage.started`) or claimed on its own.
 */
export interface BatchAttemptMessage {
  type: 'batch-attempt';
  v: typeof JOB_VERSION;
  run_id: string;
  first: number;
  last: number;
  agent: string;
  instance: string;
  delivery: number;
  /** As AttemptMessage.claim. */
  claim?: number;
  start_time: string;
  started: StartMark[];
}

/** `started` of a result or a batch attempt; anything malformed in it is dropped. */
export function parseStartMarks(v: unknown): StartMark[] {
  if (!Array.isArray(v)) return [];
  const whole = (n: unknown, min: number): n is number => typeof n === 'number' && Number.isSafeInteger(n) && n >= min;
  return v
    .filter((e): e is { seq: number; worker: number } => typeof e === 'object' && e !== null && whole((e as StartMark).seq, 1) && whole((e as StartMark).worker, 0))
    .map((e) => ({ seq: e.seq, worker: e.worker }));
}

/** `earlier_runs` of an attempt or a result; anything malformed in it is dropped. */
export function parseEarlierRuns(v: unknown): EarlierRun[] {
  if (!Array.isArray(v)) return [];
  return v
    .filter((e): e is Record<string, unknown> => typeof e === 'object' && e !== null)
    .map((e) => ({ agent: String(e.agent ?? ''), start_time: String(e.start_time ?? ''), cause: String(e.cause ?? '') }));
}

/**
 * Live (not stored) notice that an agent started a job: sent by agents before issue 14's second
 * throughput pass; newer ones store `worker` in the attempt instead. Still read, so a mixed fleet shows every start.
 */
export interface StartedMessage {
  type: 'started';
  run_id: string;
  seq: number;
  agent: string;
  worker: number;
}

export type Parsed<T> =
  | { ok: true; value: T }
  | { ok: false; error: string; runId?: string; seq?: number; taskFile?: string };

const decoder = new TextDecoder('utf-8', { fatal: true });

export function decodeJson(data: Uint8Array): { ok: true; value: unknown } | { ok: false; error: string } {
  let text: string;
  try {
    text = decoder.decode(data);
  } catch {
    return { ok: false, error: 'payload is not UTF-8' };
  }
  try {
    return { ok: true, value: JSON.parse(text) };
  } catch (e) {
    const preview = text.length > 40 ? `${text.slice(0, 40)}…` : text;
    return { ok: false, error: `payload is not JSON (${(e as Error).message}): ${JSON.stringify(preview)}` };
  }
}

type Obj = Record<string, unknown>;

class FieldErrors {
  readonly errors: string[] = [];
  constructor(private readonly o: Obj) {}
  str(key: string, opts: { nonEmpty?: boolean; token?: boolean; noNul?: boolean } = {}): string {
    const v = this.o[key];
    if (typeof v !== 'string') this.errors.push(`\`${key}\` must be a string`);
    else if (opts.nonEmpty && v === '') this.errors.push(`\`${key}\` must not be empty`);
    // argv and paths are C strings: the kernel would see the text cut at the NUL (as the agent's gRPC checks).
    else if (opts.noNul && v.includes('\0')) this.errors.push(`\`${key}\` must not contain a NUL byte (\\0)`);
    else if (opts.token && !isSubjectToken(v)) this.errors.push(`\`${key}\` must be letters, digits, '_' or '-'`);
    return typeof v === 'string' ? v : '';
  }
  int(key: string, min: number, max = Number.MAX_SAFE_INTEGER): number {
    const v = this.o[key];
    if (typeof v !== 'number' || !Number.isInteger(v) || v < min || v > max) {
      this.errors.push(`\`${key}\` must be a whole number from ${min} to ${max}`);
      return 0;
    }
    return v;
  }
  bool(key: string): boolean {
    const v = this.o[key];
    if (typeof v !== 'boolean') this.errors.push(`\`${key}\` must be true or false`);
    return v === true;
  }
  num(key: string): number {
    const v = this.o[key];
    if (typeof v !== 'number' || !Number.isFinite(v)) this.errors.push(`\`${key}\` must be a number`);
    return typeof v === 'number' ? v : 0;
  }
}

function fail<T>(error: string, o?: Obj): Parsed<T> {
  const r: Parsed<T> = { ok: false, error };
  if (o) {
    if (typeof o.run_id === 'string' && isSubjectToken(o.run_id)) r.runId = o.run_id;
    if (typeof o.seq === 'number' && Number.isSafeInteger(o.seq) && o.seq > 0) r.seq = o.seq;
    if (typeof o.task_file === 'string') r.taskFile = o.task_file;
  }
  return r;
}

/** Validate a job message. */
export function parseJob(data: Uint8Array): Parsed<JobMessage> {
  const j = decodeJson(data);
  if (!j.ok) return fail(j.error);
  return parseJobValue(j.value);
}

/** Validate a decoded job (a message, or one of a batch's jobs: shared/nats/job-batch.ts). */
export function parseJobValue(value: unknown): Parsed<JobMessage> {
  if (typeof value !== 'object' || value === null || Array.isArray(value)) {
    return fail('payload is not a JSON object');
  }
  const o = value as Obj;
  if (o.v !== JOB_VERSION) return fail(`unsupported job version \`${String(o.v)}\` (expected ${JOB_VERSION})`, o);
  const f = new FieldErrors(o);
  const job: JobMessage = {
    v: JOB_VERSION,
    run_id: f.str('run_id', { token: true }),
    seq: f.int('seq', 1),
    task_file: f.str('task_file', { nonEmpty: true, noNul: true }),
    file_name: f.str('file_name', { nonEmpty: true, noNul: true }),
    content: f.str('content'),
    command: f.str('command', { nonEmpty: true, noNul: true }),
    timeout_sec: f.int('timeout_sec', 0, 31 * 24 * 3600),
    output_tail: f.int('output_tail', 0, 10_000_000),
  };
  if (o.records_cap !== undefined) job.records_cap = f.int('records_cap', 1024, 2 ** 40);
  if (o.records_inline === true) job.records_inline = true;
  if (o.in_process !== undefined) job.in_process = f.bool('in_process');
  if (o.recovery !== undefined) {
    if (typeof o.recovery === 'string' && isBase64(o.recovery)) job.recovery = o.recovery;
    else f.errors.push('`recovery` must be base64');
  }
  if (job.file_name.includes('/') || job.file_name === '.' || job.file_name === '..') {
    f.errors.push('`file_name` must be a plain file name');
  }
  if (typeof o.content === 'string' && !isBase64(o.content)) {
    f.errors.push('`content` must be base64');
  }
  if (f.errors.length) return fail(`invalid job: ${f.errors.join('; ')}`, o);
  return { ok: true, value: job };
}

/** A failure's detail as a result carries it (shared/failure-detail.ts FailureDetail). */
export interface FailureDetailMessage {
  task_exit_code?: number;
  failed_task?: string;
  reason?: string;
}

/** The detail as the result carries it; undefined when it names nothing. */
export function failureDetailMessage(d: FailureDetail): FailureDetailMessage | undefined {
  const m: FailureDetailMessage = {
    ...(d.taskExitCode !== undefined ? { task_exit_code: d.taskExitCode } : {}),
    ...(d.failedTask !== undefined ? { failed_task: d.failedTask } : {}),
    ...(d.reason !== undefined ? { reason: d.reason } : {}),
  };
  return Object.keys(m).length ? m : undefined;
}

/** The detail a result carries, as parallelr's records take it. */
export function failureDetailOf(m: FailureDetailMessage): FailureDetail {
  return {
    ...(m.task_exit_code !== undefined ? { taskExitCode: m.task_exit_code } : {}),
    ...(m.failed_task !== undefined ? { failedTask: m.failed_task } : {}),
    ...(m.reason !== undefined ? { reason: m.reason } : {}),
  };
}

/** A well-formed `failure_detail`, else undefined (a malformed one is ignored: the tails are read instead). */
function parseFailureDetail(v: unknown): FailureDetailMessage | undefined {
  if (typeof v !== 'object' || v === null || Array.isArray(v)) return undefined;
  const o = v as Obj;
  const m: FailureDetailMessage = {};
  if (Number.isInteger(o.task_exit_code)) m.task_exit_code = o.task_exit_code as number;
  // Bounded as the agent reads them (shared/failure-detail.ts keeps 3 lines of 200 characters): an agent cannot flood a record.
  if (typeof o.failed_task === 'string') m.failed_task = o.failed_task.slice(0, 64);
  if (typeof o.reason === 'string') m.reason = o.reason.slice(0, 2000);
  return Object.keys(m).length ? m : undefined;
}

/** Validate a result message. */
export function parseResult(data: Uint8Array): Parsed<ResultMessage> {
  const j = decodeJson(data);
  if (!j.ok) return fail(j.error);
  if (typeof j.value !== 'object' || j.value === null || Array.isArray(j.value)) {
    return fail('payload is not a JSON object');
  }
  const o = j.value as Obj;
  const f = new FieldErrors(o);
  const status = o.status;
  if (!JOB_STATUSES.includes(status as JobStatus)) f.errors.push(`\`status\` must be one of ${JOB_STATUSES.join('|')}`);
  const exit = o.exit_code;
  if (exit !== null && !(typeof exit === 'number' && Number.isInteger(exit))) f.errors.push('`exit_code` must be an integer or null');
  const r: ResultMessage = {
    v: JOB_VERSION,
    run_id: f.str('run_id', { token: true }),
    seq: f.int('seq', 1),
    task_file: f.str('task_file'),
    status: status as JobStatus,
    exit_code: (exit as number | null) ?? null,
    start_time: f.str('start_time'),
    end_time: f.str('end_time'),
    duration_seconds: f.num('duration_seconds'),
    agent: f.str('agent'),
    worker: f.int('worker', 0),
    command_executed: f.str('command_executed'),
    error_message: f.str('error_message'),
    stdout_tail: f.str('stdout_tail'),
    stderr_tail: f.str('stderr_tail'),
    delivery: f.int('delivery', 0),
  };
  const detail = parseFailureDetail(o.failure_detail);
  if (detail) r.failure_detail = detail;
  const earlier = parseEarlierRuns(o.earlier_runs);
  if (earlier.length) r.earlier_runs = earlier;
  const shipped = parseShippedRecords(o.records);
  if (shipped) r.records = shipped;
  const started = parseStartMarks(o.started);
  if (started.length) r.started = started;
  if (f.errors.length) return fail(`invalid result: ${f.errors.join('; ')}`, o);
  return { ok: true, value: r };
}

/** Validate a live `started` notice (progress display only). */
export function parseStarted(data: Uint8Array): StartedMessage | undefined {
  const j = decodeJson(data);
  if (!j.ok || typeof j.value !== 'object' || j.value === null) return undefined;
  const o = j.value as Obj;
  if (o.type !== 'started' || typeof o.run_id !== 'string' || typeof o.agent !== 'string') return undefined;
  if (typeof o.seq !== 'number' || typeof o.worker !== 'number') return undefined;
  return { type: 'started', run_id: o.run_id, seq: o.seq, agent: o.agent, worker: o.worker };
}

const encoder = new TextEncoder();

/** Serialise any TASKER NATS message. */
export function encodeMessage(m: JobMessage | ResultMessage | StartedMessage | AttemptMessage | BatchAttemptMessage): Uint8Array {
  return encoder.encode(JSON.stringify(m));
}

/** The last `n` characters of `text`. */
export function tail(text: string, n: number): string {
  return text.length > n ? text.slice(text.length - n) : text;
}
