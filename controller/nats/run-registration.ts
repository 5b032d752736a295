/**
 * A distributed run in parallelr's worker registry (`pids/<PID>.json`), as a local run is: so
 * `parallelr --list-workers` shows it (run id, NATS servers, progress) and `parallelr -k PID` stops
 * it. The SIGTERM that -k sends cancels the run on every agent (run-distributed.ts).
 */
import { entryWriter, processStartTime, resolveDirs, WorkerRegistry, type TaskRecord, type WorkerEntry } from '../parallelr/index.js';
import type { RunState } from './run-state.js';
import { runLogFiles } from './run-records.js';

/** The registry is rewritten at most this often while results arrive (and on the last one). */
const WRITE_EVERY_MS = 500;

export interface RunRegistration {
  finished(record: TaskRecord, done: number): void;
  stopping(): void;
  remove(): void;
}

/** Registers this process as the controller of `state`'s run; a registry that cannot be written only warns. */
export function registerDistributedRun(
  state: RunState,
  o: { env: NodeJS.ProcessEnv; cwd: string; pid: number; daemon: boolean; where: string; note: (t: string) => void },
): RunRegistration {
  const registry = new WorkerRegistry(resolveDirs(o.env).pids);
  const entry: WorkerEntry = {
    pid: o.pid,
    proc_start: processStartTime(o.pid),
    session_id: state.runId,
    status: 'running',
    daemon: o.daemon,
    start_time: new Date().toISOString(),
    cwd: o.cwd,
    command_template: state.command,
    total: state.files.length,
    done: 0,
    failed: 0,
    main_log: runLogFiles(state, o.env).mainLog,
    results: state.resultsFile,
    updated: '',
    run_id: state.runId,
    nats: o.where,
    pool: state.pool,
  };
  let removed = false;
  let last = 0;
  let pending: NodeJS.Timeout | undefined;
  const writeEntry = entryWriter(registry, entry, (problem) => o.note(`parallelr: warning: ${problem}`));
  const write = () => {
    clearTimeout(pending);
    pending = undefined;
    if (removed) return;
    writeEntry();
    last = Date.now();
  };
  registry.list(); // removes stale entries
  write();
  return {
    finished(record, done) {
      entry.done = done;
      if (record.status !== 'SUCCESS' && record.status !== 'CANCELLED') entry.failed++;
      const wait = last + WRITE_EVERY_MS - Date.now();
      if (wait <= 0 || done === entry.total) write();
      else pending ??= setTimeout(write, wait).unref();
    },
    stopping() {
      entry.status = 'stopping';
      write();
    },
    remove() {
      clearTimeout(pending);
      removed = true;
      registry.remove(o.pid);
    },
  };
}
