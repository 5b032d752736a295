/** The command line of a run: parsed, or answered at once (--help, --version, a usage error). */
import type { CliIo } from '../../shared/cli-io.js';
import { ExitCode } from '../../shared/exit-codes.js';
import { VERSION } from '../../shared/version.js';
import { defaultArgs, HELP, parseTaskerArgs, USAGE } from '../args/index.js';
import type { TaskerArgs } from '../args/index.js';
import type { RunExit, RunRequest } from './types.js';
import { UsageError } from '../../shared/errors/index.js';

export function parseRunRequest(argv: readonly string[], io: CliIo): RunRequest | RunExit {
  const explicit = new Set<keyof TaskerArgs>();
  let args: TaskerArgs;
  try {
    args = parseTaskerArgs(argv, defaultArgs(), explicit);
  } catch (e) {
    if (e instanceof UsageError) {
      io.stderr.write(`${USAGE}\ntasker: error: ${e.message}\n`);
      return { exitCode: ExitCode.USAGE };
    }
    throw e;
  }
  if (args.help) {
    io.stdout.write(`${HELP}\n`);
    return { exitCode: ExitCode.SUCCESS };
  }
  if (args.version) {
    io.stdout.write(`TASKER v${VERSION}\n`);
    return { exitCode: ExitCode.SUCCESS };
  }
  if (args.taskFile === undefined) {
    io.stderr.write(`${USAGE}\ntasker: error: the task file is missing\n`);
    return { exitCode: ExitCode.USAGE };
  }
  return { args, explicit };
}
