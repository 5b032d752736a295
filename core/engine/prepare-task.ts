/** A task's command as it will run: variables substituted, exec type, arguments and timeout resolved once. */
import type { Task } from '../../shared/taskfile/model.js';
import type { EngineRun } from './engine-run.js';
import type { PreparedTask } from './engine-types.js';
import type { RunLog } from './run-log.js';
import { resolveArguments } from './variables.js';

export function prepareTask(run: EngineRun, task: Task, key: string, capTimeoutSec?: number): PreparedTask {
  const { store, opts, log } = run;
  const resolve = run.resolverOf(task);
  const hostname = resolve(task.hostname);
  const command = resolve(task.command);
  const execName = task.exec !== undefined ? resolve(task.exec).trim() : opts.defaultExecType;
  const execType = opts.canonicalExecType(execName.toLowerCase());
  const target = execType && opts.hostTarget ? opts.hostTarget(hostname, execType) : hostname;
  const args = resolveArguments(task.arguments, execType, opts.env ?? {}, resolve);
  const shown = execType ? opts.describeCommand(execType, target, command, args) : `${command} ${args}`.trim();
  // A literal timeout was checked (and warned about) by validation; only substituted ones warn here.
  let timeoutSec = resolveTimeout(task.timeout !== undefined ? store.resolve(task.timeout) : undefined, opts.defaultTimeoutSec, task.timeout?.includes('@') ? log : undefined, key);
  if (capTimeoutSec !== undefined) timeoutSec = Math.min(timeoutSec, capTimeoutSec);
  return { hostname, target, command, execName, execType, args, shown, timeoutSec };
}

/** Task timeout after substitution, clamped to 5–1000 s with a warning. */
export function resolveTimeout(raw: string | undefined, fallback: number, log: RunLog | undefined, key: string): number {
  let t = fallback;
  if (raw !== undefined) {
    const n = Number(raw.trim());
    if (Number.isFinite(n)) t = Math.trunc(n);
    else log?.warn(`Task ${key}: timeout '${raw}' is not a number; using ${fallback} s`);
  }
  if (t < 5 || t > 1000) {
    const c = Math.min(1000, Math.max(5, t));
    log?.warn(`Task ${key}: timeout ${t} s is outside 5–1000; using ${c} s`);
    t = c;
  }
  return t;
}
