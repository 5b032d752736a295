/** Run one NATS job: ship the file into its slot's workspace, run the command with runProcess, describe the outcome. */
import { DEFAULT_CAPTURE_LIMIT, DEFAULT_PREVIEW_LIMIT } from '../../shared/exec/index.js';
import { runProcess, type ProcessResult } from '../../shared/exec/index.js';
import { readTailText } from '../../shared/exec/index.js';
import { splitArgs } from '../../shared/exec/index.js';
import { TaskExit } from '../../shared/exit-codes.js';
import { DETAIL_BYTES, readFailureDetail } from '../../shared/failure-detail.js';
import type { SlotWorkspace } from './workspaces.js';
import { runTaskerJob } from './run-tasker-job.js';
import { takeMadeRecords, type RecordsPlan } from './ship-records.js';
import { placeRecovery, withRecoveryFile } from './recovery-travel.js';
import { JOB_VERSION, failureDetailMessage, tail, type JobMessage, type JobStatus, type ResultMessage } from '../../shared/nats/index.js';

export const TASK_PLACEHOLDER = '@TASK@';

export interface RunJobContext {
  /** The slot's workspace: the job's cwd, where its task file is shipped; cleaned after the job. */
  workspace: SlotWorkspace;
  agent: string;
  worker: number;
  delivery: number;
  /** Aborted when the run is cancelled or the worker shuts down. */
  signal?: AbortSignal;
  /** Aborted when the run's controller will not wait (a cancel that kills now): the job's kill grace ends. */
  hurry?: AbortSignal;
  /** Between SIGTERM and SIGKILL of the job's processes; default 2 s. */
  killGraceMs?: number;
  /** Called with the child's pid once it runs. */
  onSpawn?: (pid: number) => void;
  /** Sees the output as it comes (`parallelr --watch`, watch-output.ts). */
  output?: { onStdout: (chunk: Buffer) => void; onStderr: (chunk: Buffer) => void };
  /** A tasker job's records plan (ship-records.ts): an in-process run hands its records to it. */
  records?: RecordsPlan;
}

/**
 * Build argv from the template: split it like a shell first, then put the shipped file's path in
 * place of `@TASK@` inside each word, so a path with spaces stays one argv element.
 */
export function buildArgv(template: string, taskPath: string): { argv: string[]; error?: string } {
  const split = splitArgs(template);
  if (split.error) return { argv: [], error: `command template: ${split.error}` };
  if (!split.args.length) return { argv: [], error: 'command template is empty' };
  return { argv: split.args.map((w) => w.split(TASK_PLACEHOLDER).join(taskPath)) };
}

let agentEnv: NodeJS.ProcessEnv | undefined;

/** The agent's environment, as its jobs get it: frozen once, so the launcher encodes it once (launcher-protocol.ts). */
function jobEnv(): NodeJS.ProcessEnv {
  return (agentEnv ??= Object.freeze({ ...process.env }));
}

/** Quote an argv element for display when it needs it. */
function showArg(a: string): string {
  return /^[A-Za-z0-9_@%+=:,./-]+$/.test(a) ? a : `'${a.replace(/'/g, `'\\''`)}'`;
}

/**
 * Whether the command can see the shipped file: it names `@TASK@` or the file's name. Otherwise
 * the file is not written (nothing could read it but by listing the workspace).
 */
export function needsTaskFile(job: Pick<JobMessage, 'command' | 'file_name'>): boolean {
  return job.command.includes(TASK_PLACEHOLDER) || job.command.includes(job.file_name);
}

/** Run `job`; never throws. The task file (and anything the job left) is cleaned up afterwards. */
export async function runJob(job: JobMessage, ctx: RunJobContext): Promise<ResultMessage> {
  const start = new Date();
  const base = (status: JobStatus, fields: Partial<ResultMessage>): ResultMessage => {
    const end = new Date();
    return {
      v: JOB_VERSION,
      run_id: job.run_id,
      seq: job.seq,
      task_file: job.task_file,
      status,
      exit_code: null,
      start_time: start.toISOString(),
      end_time: end.toISOString(),
      duration_seconds: round2((end.getTime() - start.getTime()) / 1000),
      agent: ctx.agent,
      worker: ctx.worker,
      command_executed: '',
      error_message: '',
      stdout_tail: '',
      stderr_tail: '',
      delivery: ctx.delivery,
      ...fields,
    };
  };
  if (ctx.signal?.aborted) return base('CANCELLED', { error_message: 'Task cancelled' });

  let written: string | undefined;
  try {
    const workspace = ctx.workspace.path();
    let taskPath = '';
    if (needsTaskFile(job)) {
      taskPath = ctx.workspace.writeTaskFile(job.file_name, Buffer.from(job.content, 'base64'));
      written = job.file_name;
    }
    const { argv, error } = buildArgv(job.command, taskPath);
    if (error) return base('ERROR', { error_message: `Error: ${error}` });
    const commandExecuted = argv.map(showArg).join(' ');
    // A command that runs tasker itself runs the file with the engine in this process (run-tasker-job.ts),
    // handing its records over in memory (ship-records.ts).
    const records = ctx.records;
    const onRecords = records && takeMadeRecords(records);
    const named = namedAsShipped(taskPath, job.task_file);
    const inProcess = await runTaskerJob(argv, {
      workspace, timeoutSec: job.timeout_sec, outputTail: job.output_tail, signal: ctx.signal, hurry: ctx.hurry, killGraceMs: ctx.killGraceMs, output: ctx.output, onRecords, inProcess: job.in_process, named,
      ...(records ? { onRecoveryFile: placeRecovery(job) } : {}),
    });
    if (inProcess) return base(inProcess.status, { ...inProcess.fields, command_executed: commandExecuted });
    if (records) records.made = undefined; // handed back: the started tasker writes its records to files
    const r = await runProcess({
      argv: records ? withRecoveryFile(argv, job, records.dir) : argv,
      cwd: workspace,
      env: jobEnv(),
      timeoutMs: job.timeout_sec > 0 ? job.timeout_sec * 1000 : undefined,
      signal: ctx.signal,
      hurry: ctx.hurry,
      killGraceMs: ctx.killGraceMs,
      captureLimit: DEFAULT_CAPTURE_LIMIT,
      previewLimit: DEFAULT_PREVIEW_LIMIT,
      spillDir: workspace,
      onSpawn: ctx.onSpawn,
      ...ctx.output,
    });
    // A stream past the capture limit spilled (into the workspace): its real end is in the file,
    // while r.stdout holds only its first bytes. Tails are at most the capture limit either way.
    const tailOf = (text: string, file: string | undefined) => tail(named(file ? readTailText(file, job.output_tail, DEFAULT_CAPTURE_LIMIT) : text), job.output_tail);
    const out = { stdout_tail: tailOf(r.stdout, r.stdoutFile), stderr_tail: tailOf(r.stderr, r.stderrFile) };
    const fields = { ...out, command_executed: commandExecuted, duration_seconds: round2(r.durationMs / 1000) };
    if (r.spawnError) return base('ERROR', { ...fields, error_message: `Error: ${r.spawnError}` });
    if (r.canceled) return base('CANCELLED', { ...fields, error_message: 'Task cancelled' });
    if (r.timedOut) return base('TIMEOUT', { ...fields, exit_code: r.exitCode, error_message: `Timeout after ${job.timeout_sec}s` });
    if (r.exitCode === TaskExit.SUCCESS) return base('SUCCESS', { ...fields, exit_code: TaskExit.SUCCESS });
    const detail = records && failureOf(r, named);
    return base('FAILED', { ...fields, ...(detail ? { failure_detail: detail } : {}), exit_code: r.exitCode, error_message: `Exit code ${r.exitCode}` });
  } catch (e) {
    return base('ERROR', { error_message: `Error: cannot prepare workspace: ${(e as Error).message}` });
  } finally {
    ctx.workspace.clean(written);
  }
}

/**
 * The job's output as the operator reads it: the shipped copy's path (`taskPath`, in a workspace
 * that is gone once the job ends) written as the task file the operator named, so a message such
 * as `FILE:14:15: error[…]` points at the file on the controller's side, where the copy came from
 * byte for byte, as a local run's does. Applied before the tail is cut, so the tail holds what a
 * local run's would. `command_executed` keeps the command as it ran here.
 */
function namedAsShipped(taskPath: string, taskFile: string): (text: string) => string {
  return (text) => (taskPath && text.includes(taskPath) ? text.split(taskPath).join(taskFile) : text);
}

/** Why a tasker command failed, read from its stderr's start and stdout's end as local parallelr reads them (shared/failure-detail.ts). */
function failureOf(r: ProcessResult, named: (text: string) => string) {
  const stdoutEnd = tail(named(r.stdoutFile ? readTailText(r.stdoutFile, DETAIL_BYTES, DEFAULT_CAPTURE_LIMIT) : r.stdout), DETAIL_BYTES);
  return failureDetailMessage(readFailureDetail(r.exitCode, stdoutEnd, named(r.stderr).slice(0, DETAIL_BYTES)));
}

function round2(n: number): number {
  return Math.round(n * 100) / 100;
}
