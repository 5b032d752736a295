/**
 * `--alert-on-failure SCRIPT` (PEER-TASKER §16): check the script once at start, run it on a
 * failing exit with the peer's TASKER_* environment, no shell, 30 s limit.
 */
import { accessSync, chmodSync, constants, lstatSync } from 'node:fs';
import { homedir } from 'node:os';
import { isAbsolute, join, resolve } from 'node:path';
import { runProcess } from '../../shared/exec/index.js';

export const ALERT_TIMEOUT_MS = 30_000;

export type PreparedAlert = { ok: true; path: string } | { ok: false; warning: string };

/**
 * Expand `~`, make the path absolute (relative to `cwd`), and require a regular file — a symlink or
 * directory disables alerts, as with the peer. A script that is not executable is made so (0700,
 * like the peer); one that already is keeps its mode, so shared scripts are not rewritten.
 */
export function prepareAlert(scriptPath: string, cwd: string): PreparedAlert {
  const given = scriptPath.trim();
  if (given === '') return { ok: false, warning: 'Alert script path is empty; alerts are disabled' };
  const expanded = given === '~' ? homedir() : given.startsWith('~/') ? join(homedir(), given.slice(2)) : given;
  const path = isAbsolute(expanded) ? resolve(expanded) : resolve(cwd, expanded);
  let st;
  try {
    st = lstatSync(path);
  } catch {
    return { ok: false, warning: `Alert script ${path} does not exist; alerts are disabled` };
  }
  if (st.isSymbolicLink()) return { ok: false, warning: `Alert script ${path} is a symbolic link; give the real file (alerts are disabled)` };
  if (!st.isFile()) return { ok: false, warning: `Alert script ${path} is not a regular file; alerts are disabled` };
  if (!isExecutable(path)) {
    try {
      chmodSync(path, 0o700);
    } catch (e) {
      return { ok: false, warning: `Alert script ${path} is not executable and cannot be made so (${(e as NodeJS.ErrnoException).code ?? (e as Error).message}); alerts are disabled` };
    }
  }
  return { ok: true, path };
}

export interface AlertInfo {
  exitCode: number;
  error: string;
  /** The current task id when the run failed; empty when none ran. */
  failedTask?: number | string;
  /** As the user gave it. */
  taskFile: string;
  /** Empty in a dry run. */
  logFile?: string;
  /** Recovery file path, or empty. */
  stateFile?: string;
  timestamp: Date;
}

export interface AlertResult {
  exitCode: number;
  timedOut: boolean;
  /** stdout then stderr, for the log. */
  output: string;
}

/** The environment the script gets: `env` plus the seven TASKER_* variables. */
export function alertEnv(info: AlertInfo, env: NodeJS.ProcessEnv): NodeJS.ProcessEnv {
  return {
    ...env,
    TASKER_EXIT_CODE: String(info.exitCode),
    TASKER_ERROR: info.error,
    TASKER_FAILED_TASK: info.failedTask === undefined ? '' : String(info.failedTask),
    TASKER_TASK_FILE: info.taskFile,
    TASKER_LOG_FILE: info.logFile ?? '',
    TASKER_STATE_FILE: info.stateFile ?? '',
    TASKER_TIMESTAMP: formatAlertTimestamp(info.timestamp),
  };
}

/** Run the prepared script (argv, no shell; its whole process group is killed on timeout). Never throws. */
export async function runAlert(path: string, info: AlertInfo, env: NodeJS.ProcessEnv, opts: { timeoutMs?: number; cwd?: string } = {}): Promise<AlertResult> {
  const r = await runProcess({ argv: [path], env: alertEnv(info, env), timeoutMs: opts.timeoutMs ?? ALERT_TIMEOUT_MS, cwd: opts.cwd, killGraceMs: 1000 });
  return { exitCode: r.exitCode, timedOut: r.timedOut, output: r.stdout + r.stderr };
}

/** `YYYY-mm-dd HH:MM:SS`, local time. */
export function formatAlertTimestamp(d: Date): string {
  const p = (n: number): string => String(n).padStart(2, '0');
  return `${d.getFullYear()}-${p(d.getMonth() + 1)}-${p(d.getDate())} ${p(d.getHours())}:${p(d.getMinutes())}:${p(d.getSeconds())}`;
}

function isExecutable(path: string): boolean {
  try {
    accessSync(path, constants.X_OK);
    return true;
  } catch {
    return false;
  }
}
