import { basename } from 'node:path';
import type { CliIo } from '../../shared/cli-io.js';
import { showConfig, validateConfig } from './config-commands.js';
import { ParallelrExit } from './exit-codes.js';
import { killCommand } from './kill-command.js';
import { HELP, parseCliOptions, USAGE, type CliOptions } from './options.js';
import { packageVersion, resolveDirs } from './paths.js';
import { WorkerRegistry } from './registry.js';
import { distributedRunner, runTasks } from './run-command.js';
import type { RunContext } from './run-context.js';
import { formatWorkerTable } from './workers.js';
import { InputError, SetupError, UsageError } from '../../shared/errors/index.js';

export type { RunContext };

/** The parallelr command line. Returns the exit code; never exits the process. */
export async function run(argv: readonly string[], io: CliIo, context: RunContext = {}): Promise<number> {
  const err = (text: string) => io.stderr.write(text.endsWith('\n') ? text : `${text}\n`);
  const out = (text: string) => io.stdout.write(text.endsWith('\n') ? text : `${text}\n`);
  let opts: CliOptions;
  try {
    opts = parseCliOptions(argv);
  } catch (e) {
    if (!(e instanceof UsageError)) throw e;
    err(`${USAGE}\nparallelr: error: ${e.message}`);
    return ParallelrExit.USAGE;
  }
  const ptasker = basename(context.programName ?? 'parallelr').startsWith('ptasker');
  const name = ptasker ? 'ptasker' : 'parallelr';
  const dirs = resolveDirs(io.env, name);
  const pid = context.pid ?? process.pid;
  try {
    switch (opts.action) {
      case 'help':
        out(HELP);
        return ParallelrExit.SUCCESS;
      case 'version':
        out(`${name} ${packageVersion()}`);
        return ParallelrExit.SUCCESS;
      case 'check-dependencies':
        out('yaml: available (bundled dependency)\nprocess metrics: not collected (memory/CPU are not part of the records)');
        return ParallelrExit.SUCCESS;
      case 'show-config':
        return showConfig(dirs, out);
      case 'validate-config':
        return validateConfig(dirs, out, err);
      case 'list-workers':
        out(formatWorkerTable(new WorkerRegistry(dirs.pids).list().filter((e) => e.pid !== pid)));
        return ParallelrExit.SUCCESS;
      case 'kill':
        return await killCommand(opts, dirs, io, pid, out, err, context);
      case 'watch':
        return await distributedRunner(context)({ watch: opts.watch, nats: opts.nats, pool: opts.pool, configFiles: [dirs.installationConfig, dirs.userConfig] }, io);
      case 'run':
        return await runTasks(opts, dirs, io, { ...context, pid, ptasker, name, argv: [...argv] }, out, err);
    }
  } catch (e) {
    if (e instanceof UsageError) {
      err(`${USAGE}\nparallelr: error: ${e.message}`);
      return ParallelrExit.USAGE;
    }
    if (e instanceof InputError) {
      err(`parallelr: error: ${e.message}`);
      return e.exitCode ?? ParallelrExit.FAILED;
    }
    if (e instanceof SetupError) {
      err(`parallelr: error: ${e.message}`);
      return ParallelrExit.FAILED;
    }
    // Anything else is a defect: the bin's last-resort handler prints it as one line, exit 70.
    throw e;
  }
}
