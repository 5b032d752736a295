import { SEPARATORS, type Separator } from './discover.js';
import { UsageError } from '../../shared/errors/index.js';

/** The parsed command line, before configuration is applied. */
export interface CliOptions {
  action: 'run' | 'help' | 'version' | 'list-workers' | 'kill' | 'validate-config' | 'show-config' | 'check-dependencies' | 'watch';
  /** `-k PID`; null for `-k` (all). */
  killPid: number | null;
  tasksPaths: string[];
  command?: string;
  argumentsFile?: string;
  separator?: Separator;
  envVarNames: string[];
  fileExtensions: string[];
  maxWorkers?: number;
  timeout?: number;
  wait?: number;
  sleep?: number;
  run: boolean;
  daemon: boolean;
  debug: boolean;
  stopLimits: boolean;
  /** true with --log-task-output, false with --no-task-output-log, undefined = config. */
  taskOutputLog?: boolean;
  yes: boolean;
  project?: string;
  results?: string;
  search: boolean;
  /** Copy the inputs to ~/parallelr/backups/ before running (--no-backup-inputs turns it off). */
  backup: boolean;
  inProcess: boolean;
  quiet: boolean;
  /** `--nats URL` / `--pool NAME`: distribute the task files over NATS agents (docs/nats.md). */
  nats?: string;
  pool?: string;
  /** `--nats-replicas N`: replicas of the TASKER streams (1..5, checked with the NATS settings). */
  natsReplicas?: string;
  /** `--batch N`: task files per job message of a distributed run (absent: chosen from the pool). */
  batch?: number;
  /** `--resume RUN_ID`: re-attach to a distributed run after a controller crash. */
  resume?: string;
  /** `--watch RUN_ID`: follow a running distributed run's progress and output. */
  watch?: string;
  /** `--rerun-failed RESULTS.jsonl`: run again only the entries whose rows did not succeed. */
  rerunFailed?: string;
}

export const USAGE =
  'usage: parallelr [-h] [-T PATH [PATH ...]] [-C COMMAND] [-A FILE] [-S SEP] [-E NAME[,NAME…]]\n' +
  '                 [--file-extension EXT[,EXT…]] [-m MAX] [-t TIMEOUT] [-w WAIT] [-s SLEEP] [-r] [-d|-D]\n' +
  '                 [--enable-stop-limits] [--log-task-output|--no-task-output-log] [--results FILE]\n' +
  '                 [--list-workers] [-k [PID]] [-y] [--validate-config] [--show-config] [--version]\n' +
  '                 [--nats URL] [--pool NAME] [--nats-replicas N] [--resume RUN_ID] [--watch RUN_ID] [--rerun-failed RESULTS]';

export const HELP = `${USAGE}

Run a command once per task file (or per line of an arguments file) on a bounded pool of workers.
Without -r nothing runs: parallelr lists what would run (dry run).

Tasks:
  -T, --TasksDir PATH…        task files: directories (their files, not recursive), files or globs; repeatable
  -C, --Command TEMPLATE      command per task; @TASK@ = absolute path of the task file (always one argument)
  -A, --arguments-file FILE   one task per line; @ARG@ = first field, @ARG_N@ = N-th field
  --rerun-failed RESULTS      run again only the task files / argument lines whose rows in this
                              results file did not succeed (instead of -T / -A)
  -S, --separator SEP         split argument lines: ${SEPARATORS.join(', ')}
  -E, --env-var NAME[,NAME…]  set these environment variables from the fields (also $NAME in -C)
  --file-extension EXT[,EXT…] only task files with these extensions
  --no-search                 do not look for -T template / -A file in ~/tasker/test_cases …
  -y, --yes                   do not ask (fallback files, kill all)

Execution:
  -r, --run                   execute (default: dry run)
  -m, --max N                 parallel tasks (config limits.max_workers, default 20)
  -t, --timeout N             per-task timeout in seconds (config limits.timeout_seconds, default 600)
  -s, --sleep S               delay between task starts, 0-60 s (config limits.task_start_delay, default 0)
  -w, --wait S                completion polling interval, 0.01-10 s (accepted; the pool is event driven)
  --enable-stop-limits        stop on consecutive failures or a high failure rate (see config)
  --no-in-process             always start a process, even when the command is tasker itself
  -d, --daemon                run detached in the background (alias -D); see --list-workers and -k
  --debug                     debug logging

Records:
  --results FILE              JSON-lines results file (default ~/parallelr/logs/parallelr_PID_TS_results.jsonl)
  --log-task-output           also write each task's output to the TaskResults file (…_output.txt)
  --no-task-output-log        do not write the TaskResults file
  --no-backup-inputs          do not copy task files / arguments file to ~/parallelr/backups/
  -q, --quiet                 no per-task console lines or progress bar
  -p, --project NAME          project name (ptasker mode: passed to tasker -p)

Distributed (NATS JetStream, see docs/nats.md):
  --nats URL                  publish the task files as jobs; tasker-agent serve --nats runs them
  --pool NAME                 agent pool (config nats.pool, default 'default'); alone: URL from config
  --nats-replicas N           stream replicas, 1-5 (config nats.replicas; 3 on a 3-node cluster)
  --batch N                   task files per job message, 1-64 (default: chosen from the run's size and
                              the pool's slots; 1 sends one message per file)
  --resume RUN_ID             re-attach to a distributed run after a controller crash
  --watch RUN_ID              follow a running distributed run: progress and its jobs' output lines, live;
                              ends with the run's exit code (Ctrl-C stops watching, not the run)

Workers:
  --list-workers              list running parallelr processes
  -k, --kill [PID]            stop one (PID) or all (asks for 'yes'; -y skips) running parallelr processes

Configuration:
  --show-config               show the effective configuration and which files were read
  --validate-config           check the configuration files
  --check-dependencies        report optional dependencies
  --version                   print the version
  -h, --help                  show this help
`;

type Spec = { name: string; takes: 'none' | 'one' | 'many' | 'optional-int' };

const LONG: Record<string, Spec> = {
  '--help': { name: 'help', takes: 'none' },
  '--TasksDir': { name: 'T', takes: 'many' },
  '--tasks-dir': { name: 'T', takes: 'many' },
  '--Command': { name: 'C', takes: 'one' },
  '--command': { name: 'C', takes: 'one' },
  '--arguments-file': { name: 'A', takes: 'one' },
  '--separator': { name: 'S', takes: 'one' },
  '--env-var': { name: 'E', takes: 'one' },
  '--file-extension': { name: 'ext', takes: 'one' },
  '--max': { name: 'm', takes: 'one' },
  '--timeout': { name: 't', takes: 'one' },
  '--wait': { name: 'w', takes: 'one' },
  '--sleep': { name: 's', takes: 'one' },
  '--run': { name: 'r', takes: 'none' },
  '--daemon': { name: 'd', takes: 'none' },
  '--debug': { name: 'debug', takes: 'none' },
  '--enable-stop-limits': { name: 'stop', takes: 'none' },
  '--list-workers': { name: 'list', takes: 'none' },
  '--kill': { name: 'k', takes: 'optional-int' },
  '--validate-config': { name: 'validate', takes: 'none' },
  '--show-config': { name: 'show', takes: 'none' },
  '--check-dependencies': { name: 'deps', takes: 'none' },
  '--log-task-output': { name: 'logout', takes: 'none' },
  '--no-task-output-log': { name: 'nologout', takes: 'none' },
  '--no-backup-inputs': { name: 'nobackup', takes: 'none' },
  '--no-search': { name: 'nosearch', takes: 'none' },
  '--no-fallback': { name: 'nosearch', takes: 'none' },
  '--no-in-process': { name: 'noinproc', takes: 'none' },
  '--yes': { name: 'y', takes: 'none' },
  '--project': { name: 'p', takes: 'one' },
  '--results': { name: 'results', takes: 'one' },
  '--quiet': { name: 'q', takes: 'none' },
  '--version': { name: 'version', takes: 'none' },
  '--nats': { name: 'nats', takes: 'one' },
  '--pool': { name: 'pool', takes: 'one' },
  '--nats-replicas': { name: 'natsreplicas', takes: 'one' },
  '--batch': { name: 'batch', takes: 'one' },
  '--resume': { name: 'resume', takes: 'one' },
  '--watch': { name: 'watch', takes: 'one' },
  '--rerun-failed': { name: 'rerun', takes: 'one' },
};

const SHORT: Record<string, Spec> = {
  h: LONG['--help']!,
  T: LONG['--TasksDir']!,
  C: LONG['--Command']!,
  A: LONG['--arguments-file']!,
  S: LONG['--separator']!,
  E: LONG['--env-var']!,
  m: LONG['--max']!,
  t: LONG['--timeout']!,
  w: LONG['--wait']!,
  s: LONG['--sleep']!,
  r: LONG['--run']!,
  d: LONG['--daemon']!,
  D: LONG['--daemon']!,
  k: LONG['--kill']!,
  y: LONG['--yes']!,
  p: LONG['--project']!,
  q: LONG['--quiet']!,
};

/** Parses argv (without node and script). Throws UsageError with a message naming the option. */
export function parseCliOptions(argv: readonly string[]): CliOptions {
  const o: CliOptions = {
    action: 'run',
    killPid: null,
    tasksPaths: [],
    envVarNames: [],
    fileExtensions: [],
    run: false,
    daemon: false,
    debug: false,
    stopLimits: false,
    yes: false,
    search: true,
    backup: true,
    inProcess: true,
    quiet: false,
  };
  const actions = new Set<CliOptions['action']>();
  let i = 0;
  const value = (flag: string, inline: string | undefined): string => {
    if (inline !== undefined) return inline;
    const v = argv[++i];
    if (v === undefined || (v.startsWith('-') && v !== '-' && !/^-\d/.test(v))) throw new UsageError(`${flag} needs a value`);
    return v;
  };
  const apply = (flag: string, spec: Spec, inline: string | undefined) => {
    switch (spec.name) {
      case 'help': actions.add('help'); break;
      case 'version': actions.add('version'); break;
      case 'list': actions.add('list-workers'); break;
      case 'validate': actions.add('validate-config'); break;
      case 'show': actions.add('show-config'); break;
      case 'deps': actions.add('check-dependencies'); break;
      case 'k': {
        actions.add('kill');
        let v = inline;
        if (v === undefined && argv[i + 1] !== undefined && /^\d+$/.test(argv[i + 1]!)) v = argv[++i];
        if (v !== undefined) {
          if (!/^\d+$/.test(v) || Number(v) < 2) throw new UsageError(`${flag} takes a process id, got \`${v}\``);
          o.killPid = Number(v);
        }
        break;
      }
      case 'T': {
        if (inline !== undefined) o.tasksPaths.push(inline);
        else {
          const start = o.tasksPaths.length;
          while (argv[i + 1] !== undefined && !argv[i + 1]!.startsWith('-')) o.tasksPaths.push(argv[++i]!);
          if (o.tasksPaths.length === start) throw new UsageError(`${flag} needs at least one path`);
        }
        break;
      }
      case 'C': o.command = value(flag, inline); break;
      case 'A': o.argumentsFile = value(flag, inline); break;
      case 'S': {
        const v = value(flag, inline);
        if (!(SEPARATORS as readonly string[]).includes(v)) throw new UsageError(`${flag} must be one of ${SEPARATORS.join(', ')}, got \`${v}\``);
        o.separator = v as Separator;
        break;
      }
      case 'E': {
        const v = value(flag, inline);
        const names = v.split(',').map((n) => n.trim());
        for (const n of names) {
          if (!/^[A-Za-z_][A-Za-z0-9_]*$/.test(n)) throw new UsageError(`${flag}: \`${n}\` is not a valid environment variable name (letters, digits, _; not starting with a digit)`);
        }
        o.envVarNames.push(...names);
        break;
      }
      case 'ext': {
        const v = value(flag, inline);
        const exts = v.split(',').map((e) => e.trim());
        if (exts.some((e) => e === '' || e === '.')) throw new UsageError(`${flag}: empty extension in \`${v}\``);
        o.fileExtensions.push(...exts);
        break;
      }
      case 'm': o.maxWorkers = wholeNumber(flag, value(flag, inline), 1); break;
      case 't': o.timeout = wholeNumber(flag, value(flag, inline), 1); break;
      case 'w': o.wait = decimal(flag, value(flag, inline), 0.01, 10); break;
      case 's': o.sleep = decimal(flag, value(flag, inline), 0, 60); break;
      case 'r': o.run = true; break;
      case 'd': o.daemon = true; break;
      case 'debug': o.debug = true; break;
      case 'stop': o.stopLimits = true; break;
      case 'logout': o.taskOutputLog = true; break;
      case 'nologout': o.taskOutputLog = false; break;
      case 'nobackup': o.backup = false; break;
      case 'nosearch': o.search = false; break;
      case 'noinproc': o.inProcess = false; break;
      case 'y': o.yes = true; break;
      case 'p': o.project = value(flag, inline); break;
      case 'results': o.results = value(flag, inline); break;
      case 'q': o.quiet = true; break;
      case 'nats': o.nats = value(flag, inline); break;
      case 'pool': o.pool = value(flag, inline); break;
      case 'natsreplicas': o.natsReplicas = value(flag, inline); break;
      case 'batch': o.batch = wholeNumber(flag, value(flag, inline), 1); break;
      case 'resume': o.resume = value(flag, inline); break;
      case 'watch': actions.add('watch'); o.watch = value(flag, inline); break;
      case 'rerun': o.rerunFailed = value(flag, inline); break;
    }
  };
  for (; i < argv.length; i++) {
    const arg = argv[i]!;
    if (arg.startsWith('--')) {
      const eq = arg.indexOf('=');
      const name = eq === -1 ? arg : arg.slice(0, eq);
      const spec = LONG[name];
      if (!spec) throw new UsageError(`unknown option ${name}`);
      const inline = eq === -1 ? undefined : arg.slice(eq + 1);
      if (inline !== undefined && spec.takes === 'none') throw new UsageError(`${name} takes no value`);
      apply(name, spec, inline);
    } else if (arg.startsWith('-') && arg.length > 1) {
      // -m2, -rd (bundled flags), -T dir
      for (let k = 1; k < arg.length; k++) {
        const spec = SHORT[arg[k]!];
        if (!spec) throw new UsageError(`unknown option -${arg[k]}${arg.length > 2 ? ` in ${arg}` : ''}`);
        if (spec.takes === 'none') {
          apply(`-${arg[k]}`, spec, undefined);
          continue;
        }
        const rest = arg.slice(k + 1);
        apply(`-${arg[k]}`, spec, rest === '' ? undefined : rest);
        break;
      }
    } else {
      throw new UsageError(`unexpected argument \`${arg}\` (task paths go after -T)`);
    }
  }
  if (actions.size > 1) throw new UsageError(`choose one of ${[...actions].map(actionFlag).join(', ')}`);
  o.action = [...actions][0] ?? 'run';
  if (o.separator && !o.argumentsFile) throw new UsageError('-S/--separator needs -A/--arguments-file');
  if (o.envVarNames.length && !o.argumentsFile && o.rerunFailed === undefined) throw new UsageError('-E/--env-var needs -A/--arguments-file (or --rerun-failed)');
  return o;
}

function actionFlag(a: CliOptions['action']): string {
  return { help: '-h', version: '--version', 'list-workers': '--list-workers', kill: '-k', 'validate-config': '--validate-config', 'show-config': '--show-config', 'check-dependencies': '--check-dependencies', watch: '--watch', run: '-r' }[a];
}

function wholeNumber(flag: string, v: string, min: number): number {
  if (!/^\d+$/.test(v) || Number(v) < min) {
    throw new UsageError(`${flag} must be a whole number of at least ${min}, got \`${v}\``);
  }
  return Number(v);
}

function decimal(flag: string, v: string, min: number, max: number): number {
  const n = Number(v);
  if (v.trim() === '' || !Number.isFinite(n) || n < min || n > max) {
    throw new UsageError(`${flag} must be a number from ${min} to ${max}, got \`${v}\``);
  }
  return n;
}
