import type { CliIo } from '../../shared/cli-io.js';
import { startDaemon } from './daemon.js';
import { ParallelrExit } from './exit-codes.js';
import type { ParallelrDirs } from './paths.js';
import { WorkerRegistry } from './registry.js';
import type { RunTasksContext } from './run-context.js';

type Write = (text: string) => void;

/** Starts this command line again as a background daemon and tells where to watch it. */
export async function launchDaemon(
  req: { taskCount: number; commandText: string; stamp: string },
  dirs: ParallelrDirs,
  io: CliIo,
  ctx: RunTasksContext,
  out: Write,
  err: Write,
): Promise<number> {
  const registry = new WorkerRegistry(dirs.pids);
  const selfArgv = ctx.selfArgv ?? [process.execPath, ...process.execArgv, process.argv[1]!];
  const started = await startDaemon({ selfArgv, args: ctx.argv, cwd: io.cwd, env: io.env, logsDir: dirs.logs, stamp: req.stamp, registry });
  if (started.failure) {
    err(`parallelr: the daemon did not start: ${started.failure}`);
    return ParallelrExit.FAILED;
  }
  const entry = registry.read(started.pid);
  out(`Started parallelr daemon, PID ${started.pid}: ${req.taskCount} task(s), command ${req.commandText}`);
  out(`Working directory: ${io.cwd}`);
  if (entry?.main_log) out(`Main log: ${entry.main_log}`);
  if (entry?.results) out(`Results: ${entry.results}`);
  out(`Daemon output: ${started.outputFile}`);
  out(`Watch: parallelr --list-workers    Stop: parallelr -k ${started.pid}`);
  return ParallelrExit.SUCCESS;
}
