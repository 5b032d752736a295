/**
 * parallelr without -r: the commands a run would start and, when the command is tasker itself,
 * every task file validated as tasker validates it (in this process, through the run pipeline's
 * `--validate-only`), each invalid file's diagnostics (file:line:col) and a summary.
 */
import type { CliIo } from '../../shared/cli-io.js';
import { ExitCode } from '../../shared/exit-codes.js';
import { buildTaskCommand, type CommandTemplate } from './command.js';
import type { ParallelrConfig } from './config.js';
import { ParallelrExit } from './exit-codes.js';
import { loadTaskerMain, taskerArguments, type TaskerMain } from './in-process.js';
import type { TaskEntry } from './types.js';

type Write = (text: string) => void;

export interface DryRun {
  entries: readonly TaskEntry[];
  template: CommandTemplate;
  config: ParallelrConfig;
  maxWorkers: number;
  timeoutSeconds: number;
  /** A distributed run's servers and pool: its jobs would go to the pool's agents, not to local workers. */
  nats?: { servers: readonly string[]; pool: string };
}

/** Options of a run's command line that a validation must not act on: running, and writing records or alerts. */
const DROPPED_FLAGS = new Set(['-r', '--run', '--show-plan', '--auto-recovery']);
const DROPPED_VALUED = new Set(['-p', '--project', '--output-json', '--alert-on-failure']);

/** Lists the commands, validates tasker files; exit 1 when a command cannot be built or a file is invalid. */
export async function printDryRun(d: DryRun, io: CliIo, out: Write): Promise<number> {
  const { entries, template, config } = d;
  const where = d.nats
    ? `distributed via NATS ${d.nats.servers.join(',')} on the agents of pool ${d.nats.pool} (each runs up to its own --max at once)`
    : `with ${Math.min(d.maxWorkers, entries.length)} worker(s)`;
  out(`DRY RUN: ${entries.length} task(s) would run ${where}, timeout ${d.timeoutSeconds}s. Nothing is executed; add -r to run.`);
  let unbuilt = 0;
  const invalid: string[] = [];
  let validated = 0;
  let main: TaskerMain | undefined;
  for (const e of entries) {
    const built = buildTaskCommand(template, e, config.security.max_argument_length);
    if ('error' in built) {
      unbuilt++;
      out(`[${e.index}/${entries.length}]: ERROR: ${built.error}`);
      continue;
    }
    out(`[${e.index}/${entries.length}]: ${built.display}`);
    const args = taskerArguments(built.argv);
    if (args === undefined) continue;
    main ??= await loadTaskerMain();
    if (main === undefined || io.signal?.aborted) continue;
    validated++;
    const problem = await validateTaskFile(main, args, io);
    if (problem === undefined) continue;
    invalid.push(e.taskFile ?? built.display);
    out(`    INVALID (tasker exit ${problem.exitCode}):`);
    out(problem.text.trimEnd().split('\n').map((l) => `    ${l}`).join('\n'));
  }
  if (validated > 0) {
    out(`Validation: ${validated - invalid.length} of ${validated} task file(s) valid${invalid.length ? `, ${invalid.length} invalid: ${invalid.join(', ')}` : ''}`);
  }
  return unbuilt > 0 || invalid.length > 0 ? ParallelrExit.FAILED : ParallelrExit.SUCCESS;
}

/** tasker's own validation of one file, without running, recording or checking hosts; its diagnostics when it fails. */
async function validateTaskFile(main: TaskerMain, args: readonly string[], io: CliIo): Promise<{ exitCode: number; text: string } | undefined> {
  let out = '';
  let err = '';
  const argv = [...withoutRunFlags(args), '--validate-only', '--skip-host-validation'];
  const exitCode = await main(argv, {
    stdout: { write: (t: string) => (out += t) },
    stderr: { write: (t: string) => (err += t) },
    env: io.env,
    cwd: io.cwd,
    isTTY: false,
    signal: io.signal,
  });
  if (exitCode === ExitCode.SUCCESS) return undefined;
  // Diagnostics go to stderr; a file refused before parsing (missing, too big) says so on stdout.
  return { exitCode, text: err.trim() ? err : out };
}

function withoutRunFlags(args: readonly string[]): string[] {
  const kept: string[] = [];
  for (let i = 0; i < args.length; i++) {
    const a = args[i]!;
    const name = a.startsWith('--') && a.includes('=') ? a.slice(0, a.indexOf('=')) : a;
    if (DROPPED_FLAGS.has(name)) continue;
    if (DROPPED_VALUED.has(name)) {
      if (name === a && takesValue(name, args, i)) i++;
      continue;
    }
    kept.push(a);
  }
  return kept;
}

/** Whether the option at `i` takes the next word: `--output-json`'s value is optional, as tasker reads it. */
function takesValue(name: string, args: readonly string[], i: number): boolean {
  if (name !== '--output-json') return true;
  const next = args[i + 1];
  return next !== undefined && !next.startsWith('-') && (/\.json$/i.test(next) || args.slice(i + 2).some((t) => !t.startsWith('-')));
}
