import type { CliIo } from '../../shared/cli-io.js';
import type { RunContext } from './run-context.js';
import { loadChecked } from './config-commands.js';
import { ParallelrExit } from './exit-codes.js';
import type { CliOptions } from './options.js';
import type { ParallelrDirs } from './paths.js';
import { WorkerRegistry, type WorkerEntry } from './registry.js';
import { formatWorkerTable, stopWorkers } from './workers.js';

type Write = (text: string) => void;

/**
 * A distributed controller's stop (controller/nats/stop-run.ts) waits up to 3 s for the cancel to
 * reach NATS and 15 s for the results of the jobs it killed, then closes (a few seconds at most
 * with no server): after 20 s it gets a second SIGTERM, which ends its waits, and it is killed
 * only after 30 s, so it writes its records even when NATS is gone.
 */
const DISTRIBUTED_STOP_GRACE_MS = 30_000;
const DISTRIBUTED_HURRY_AFTER_MS = 20_000;

/** `-k PID` / `-k`: stop one or every registered run (confirmation for all unless -y). */
export async function killCommand(opts: CliOptions, dirs: ParallelrDirs, io: CliIo, self: number, out: Write, err: Write, ctx: RunContext = {}): Promise<number> {
  const config = loadChecked(dirs, err);
  const registry = new WorkerRegistry(dirs.pids);
  const live = registry.list().filter((e) => e.pid !== self);
  let targets: WorkerEntry[];
  if (opts.killPid !== null) {
    const entry = live.find((e) => e.pid === opts.killPid);
    if (!entry) {
      err(`parallelr: PID ${opts.killPid} is not a running parallelr worker (see parallelr --list-workers)`);
      return ParallelrExit.FAILED;
    }
    targets = [entry];
  } else {
    if (live.length === 0) {
      out('No parallelr workers are running.');
      return ParallelrExit.SUCCESS;
    }
    out(formatWorkerTable(live));
    if (!opts.yes) {
      const answer = io.readLine ? await io.readLine(`Stop all ${live.length} parallelr worker(s)? Type 'yes' to confirm: `) : undefined;
      if (answer === undefined) {
        err('parallelr: not confirmed (no terminal to ask); add -y to stop all workers without asking');
        return ParallelrExit.FAILED;
      }
      if (answer.trim().toLowerCase() !== 'yes') {
        out('Cancelled; nothing was stopped.');
        return ParallelrExit.SUCCESS;
      }
    }
    targets = live;
  }
  // A local manager's own group kill takes kill_grace_seconds; give it that plus room to write its
  // records. A distributed run first waits for its agents to report the cancelled jobs.
  const distributed = targets.some((e) => e.run_id !== undefined);
  const graceMs = distributed ? DISTRIBUTED_STOP_GRACE_MS : (config.execution.kill_grace_seconds + 3) * 1000;
  const results = await stopWorkers(registry, targets, graceMs, distributed ? DISTRIBUTED_HURRY_AFTER_MS : undefined);
  for (const r of results) {
    out(
      r.how === 'terminated' ? `Stopped worker ${r.pid} (SIGTERM).`
      : r.how === 'killed' ? `Killed worker ${r.pid} and its task process groups (SIGKILL after ${graceMs / 1000}s).`
      : `Worker ${r.pid} had already exited.`,
    );
  }
  // A distributed controller that had to be killed did not cancel its run: do it from here, so no
  // job of it goes on running on an agent.
  for (const e of targets) {
    if (e.run_id === undefined || results.find((r) => r.pid === e.pid)?.how !== 'killed') continue;
    if (!ctx.runDistributed) {
      err(`parallelr: the controller of run ${e.run_id} was killed before it cancelled the run; its jobs may still run on the agents (parallelr --resume ${e.run_id} finishes it)`);
      continue;
    }
    const code = await ctx.runDistributed({ cancel: { runId: e.run_id, servers: e.nats ?? '', pool: e.pool ?? '' }, configFiles: [dirs.installationConfig, dirs.userConfig] }, io);
    if (code === ParallelrExit.SUCCESS) out(`Cancelled run ${e.run_id} on its agents (its controller had to be killed; parallelr --resume ${e.run_id} records the rest).`);
  }
  return ParallelrExit.SUCCESS;
}
