/**
 * The auto-recovery state file (PEER-TASKER §15, §16): where it lives, its shape, and crash-safe
 * writing.
 *
 * Secrets. The peer writes real global values and unmasked outputs into a world-readable file;
 * SPEC §2 lists that as a defect. Ours:
 * - the file is 0600 inside a 0700 `recovery/` directory;
 * - task outputs, hostnames and commands are masked (`<masked len=N>`) wherever a secret value
 *   occurs, so a secret never reaches the disk through a result (a later task reading
 *   `@N_stdout@` after a resume sees the mask — the one place where resume is not exact, by design);
 * - globals: literal ones are not stored at all (they come back from the task file, whose hash is
 *   checked); env-derived ones store their `$VAR` template, plus the expanded value only when the
 *   name is not a secret, so a resume can detect a changed environment and fall back to the saved
 *   value when the variable is gone. A secret env global is re-read from the environment.
 */
import { closeSync, fsyncSync, openSync, readdirSync, renameSync, rmSync, writeSync, readFileSync } from 'node:fs';
import { makePrivateDir, openPrivateFile } from '../../shared/private-files.js';
import { createHash } from 'node:crypto';
import { basename, dirname, join, resolve } from 'node:path';
import { fileStem } from '../engine/records.js';
import { recoveryFileProblem } from '../args/index.js';

export const RECOVERY_VERSION = '1.0';

/** A task result as stored (snake_case like --output-json). */
export interface TaskResultJson {
  key: string;
  exit_code: number;
  stdout: string;
  stderr: string;
  stdout_file?: string;
  stderr_file?: string;
  success: boolean;
  timed_out: boolean;
  skipped: boolean;
  duration_ms: number;
  hostname: string;
  command: string;
  /** Where it ran (`local`, `ssh`, `agent:NAME`), for the host recap of a resumed run. */
  ran_on?: string;
  unreachable?: boolean;
  /** A retried task's runs, first to last. */
  attempts?: AttemptJson[];
}

export interface AttemptJson {
  attempt: number;
  exit_code: number;
  success: boolean;
  timed_out: boolean;
  duration_ms: number;
  delay_before_s?: number;
}

export type GlobalVarMeta =
  | { source: 'literal' }
  | { source: 'env'; template: string; secret?: true };

export interface RecoveryState {
  version: typeof RECOVERY_VERSION;
  /** Absolute path of the task file. */
  task_file_path: string;
  /** sha256 (hex) of the task file's content; a changed file refuses the resume. */
  task_file_hash: string;
  /** ISO timestamps. */
  created: string;
  updated: string;
  log_file?: string;
  /** Top-level task ids in the order they ran. */
  execution_path: number[];
  loop_iterations: string[];
  skipped_tasks: number[];
  /** Where a resume starts; null = the workflow has ended, nothing to resume. */
  next_task: number | null;
  /** The run's results by result key ("3", "3.2", "4-401"), masked. */
  task_results: Record<string, TaskResultJson>;
  /** Insertion order of task_results (object key order is not kept for numeric keys). */
  result_order: string[];
  /**
   * What `@N_…@` resolves to, by task id: the key of an entry in task_results, or the result itself
   * when it is not among them.
   */
  latest_by_id: Record<string, string | TaskResultJson>;
  /** Expanded values of non-secret env-derived globals (see the file comment). */
  global_vars: Record<string, string>;
  global_vars_metadata: Record<string, GlobalVarMeta>;
  failure_info: { task_id: number | null; exit_code: number; error: string } | null;
}

/** `<base>/recovery/<stem>_<sha256(abs path)[:8]>.recovery.json`. */
export function recoveryPath(base: string, taskFile: string): string {
  const abs = resolve(taskFile);
  const stem = fileStem(abs).replace(/\.txt$/i, '');
  const hash = createHash('sha256').update(abs).digest('hex').slice(0, 8);
  return join(base, 'recovery', `${stem}_${hash}.recovery.json`);
}

export function sha256(text: string | Buffer): string {
  return createHash('sha256').update(text).digest('hex');
}

/**
 * Write the state atomically: a private temp file (0600) in the same directory, fsync, rename over
 * the old file, fsync the directory. A crash at any point leaves either the old or the new file,
 * never a torn one; a leftover temp file is ignored by {@link loadRecovery} and removed later.
 * `ownDir: false` (a `--recovery-file` the operator named): an existing folder keeps its mode, and
 * a path that is not a regular file is refused (the rename would replace a device, FIFO or link).
 */
export function saveRecovery(path: string, state: RecoveryState, opts: { ownDir?: boolean } = {}): void {
  const problem = opts.ownDir === false ? recoveryFileProblem(path) : undefined;
  if (problem) throw new Error(`--recovery-file ${problem}`);
  const dir = dirname(path);
  // BASE/recovery is TASKER's: tightened to 0700. The folder of a `--recovery-file` is the operator's.
  makePrivateDir(dir, { tighten: opts.ownDir ?? true });
  const tmp = `${path}.${process.pid}.tmp`;
  const fd = openPrivateFile(tmp, 'w');
  try {
    writeSync(fd, JSON.stringify(state, null, 2) + '\n');
    fsyncSync(fd);
  } finally {
    closeSync(fd);
  }
  renameSync(tmp, path);
  try {
    const dfd = openSync(dir, 'r');
    try {
      fsyncSync(dfd);
    } finally {
      closeSync(dfd);
    }
  } catch {
    /* directory fsync is best effort (not supported everywhere) */
  }
}

/** Remove the state file and any temp files a crashed writer left beside it. */
export function deleteRecovery(path: string): void {
  rmSync(path, { force: true });
  const name = basename(path);
  let entries: string[] = [];
  try {
    entries = readdirSync(dirname(path));
  } catch {
    return;
  }
  for (const e of entries) if (e.startsWith(`${name}.`) && e.endsWith('.tmp')) rmSync(join(dirname(path), e), { force: true });
}

/** Parse a state file (shape checks are the caller's). Throws on unreadable or invalid JSON. */
export function readRecoveryFile(path: string): unknown {
  return JSON.parse(readFileSync(path, 'utf8')) as unknown;
}
