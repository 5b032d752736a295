/** Command-line options of `tasker`, parsed by hand for exact, positioned usage errors. */
import { parseByteSize } from '../../shared/input/index.js';
import { UsageError } from '../../shared/errors/index.js';

/** `--max-file-size` at most: the text of a larger file would near V8's string limit. */
const MAX_FILE_SIZE_LIMIT = 256 * 1024 * 1024;

export interface TaskerArgs {
  taskFile?: string;
  run: boolean;
  logDir?: string;
  debug: boolean;
  /** `--explain`: show every flow decision with the values it compared. */
  explain: boolean;
  logLevel?: 'ERROR' | 'WARN' | 'INFO' | 'DEBUG';
  execType?: string;
  timeout?: number;
  checkConnectivity: boolean;
  project?: string;
  config?: string;
  agent?: string;
  /** An Ansible inventory (YAML or INI) for `hostnames=@group`. */
  inventory?: string;
  validateOnly: boolean;
  showPlan: boolean;
  yes: boolean;
  skipTaskValidation: boolean;
  skipHostValidation: boolean;
  skipUnresolvedHostValidation: boolean;
  skipCommandValidation: boolean;
  skipSecurityValidation: boolean;
  skipSubtaskRangeValidation: boolean;
  skipValidation: boolean;
  strictEnvValidation: boolean;
  startFrom?: number;
  /** '' = the default path under the log base. */
  outputJson?: string;
  graph?: 'mermaid' | 'dot' | 'svg';
  autoRecovery: boolean;
  /** `--recovery-file FILE`: where --auto-recovery keeps the state (default BASE/recovery/NAME_HASH.recovery.json). */
  recoveryFile?: string;
  showRecoveryInfo: boolean;
  fireAndForget: boolean;
  noTaskBackup: boolean;
  instanceCheck: boolean;
  forceInstance: boolean;
  alertOnFailure?: string;
  showEffectiveArgs: boolean;
  /** `--max-file-size`: the largest task/config file read, in bytes (default 16 MiB). */
  maxFileSize?: number;
  /** `--all-diagnostics`: print every diagnostic, not only the first 50. */
  allDiagnostics: boolean;
  /** `--raw-output`: echo task output and log lines to the console with their control characters. */
  rawOutput: boolean;
  help: boolean;
  version: boolean;
}

export const USAGE =
  'usage: tasker [-h] [-V] [-r] [-l LOG_DIR] [-d] [--log-level LEVEL] [-t TYPE] [-o TIMEOUT] [-c] [-p PROJECT]\n' +
  '              [--config FILE] [--agent NAME] [-i INVENTORY] [--validate-only] [--show-plan] [-y] [--graph {mermaid,dot,svg}]\n' +
  '              [--explain] [--start-from ID] [--output-json [FILE]] [--auto-recovery] [--recovery-file FILE] [--show-recovery-info]\n' +
  '              [--instance-check] [--force-instance] [--alert-on-failure SCRIPT] [--fire-and-forget]\n' +
  '              [--skip-task-validation] [--skip-host-validation] [--skip-unresolved-host-validation]\n' +
  '              [--skip-command-validation] [--skip-security-validation] [--skip-validation]\n' +
  '              [--strict-env-validation] [--no-task-backup] [--show-effective-args]\n' +
  '              [--max-file-size SIZE] [--all-diagnostics] [--raw-output] task_file';

export const HELP = `${USAGE}

Run a task file: numbered key=value tasks with flow control. Without -r nothing runs:
the file is validated and the plan printed (dry run).

positional arguments:
  task_file                     the task file

options:
  -h, --help                    show this help and exit
  -V, --version                 print the version and exit
  -r, --run                     really run the commands (default: dry run)
  -l, --log-dir DIR             base directory for logs, task copies and summaries
                                (else $TASK_EXECUTOR_LOG, else ~/TASKER)
  -d, --debug                   debug output, including every flow decision
  --explain                     show every flow decision with the values it compared and the route taken
  --log-level LEVEL             ERROR, WARN, INFO (default) or DEBUG
  -t, --type TYPE               default exec type (task exec= wins; else $TASK_EXECUTOR_TYPE,
                                config default_exec_type, pbrun)
  -o, --timeout SECONDS         default task timeout, 5-1000 (else $TASK_EXECUTOR_TIMEOUT,
                                config default_timeout, 30)
  -c, --check-connectivity      also run each exec type's connectivity test (alias --connection-test)
  -p, --project NAME            append a row to BASE/logs/project_NAME_summary.log
  --config FILE                 config file (exec types, agents, host validation); see docs/configuration.md
  --agent NAME|unix:PATH|HOST:PORT
                                run tasks on this tasker-agent (else task agent=, $TASK_EXECUTOR_AGENT,
                                config default_agent; none: locally)
  -i, --inventory FILE          Ansible inventory (YAML or INI) for hostnames=@group (else config
                                inventory:); see docs/inventory.md
  --validate-only               validate the file (and hosts) and exit
  --show-plan                   print the plan and ask before running (-y answers yes)
  -y, --yes                     answer yes to confirmation prompts
  --graph FORMAT                print the workflow as a mermaid or dot graph, or render svg with Graphviz
  --start-from ID               start at task ID
  --output-json [FILE]          write the run result as JSON (default BASE/output/NAME_TIMESTAMP.json)
  --auto-recovery               save state after every task; a rerun resumes where it stopped
  --recovery-file FILE          keep that state in FILE (default BASE/recovery/NAME_HASH.recovery.json)
  --show-recovery-info          show the saved recovery state and exit
  --instance-check              refuse to run while the same workflow runs elsewhere
  --force-instance              run even if the instance lock is held
  --alert-on-failure SCRIPT     run SCRIPT when the run fails (TASKER_* variables describe the failure)
  --fire-and-forget             an unrouted task failure continues with the next task
  --skip-task-validation        do not block on task-file errors
  --skip-host-validation        skip DNS/ping/connectivity checks
  --skip-unresolved-host-validation  allow hostnames that hold @N_...@ results
  --skip-command-validation     skip the exec-type binary check
  --skip-security-validation    skip the dangerous-pattern checks on commands and arguments
  --skip-subtask-range-validation  silence sub-task id range warnings
  --skip-validation             all of the skips above
  --strict-env-validation       globals and arguments may only use $TASKER_* environment variables
  --no-task-backup              do not copy the task file to BASE/tasks
  --show-effective-args         print the merged options (command line + file) and exit
  --max-file-size SIZE          largest task or config file read: bytes, or K/M/G (default 16M, at most
                                256M); lines stay at most 1 MiB
  --all-diagnostics             print every diagnostic (default: the first 50, then how many more)
  --raw-output                  echo task output with its control characters (default: made visible,
                                e.g. \\x1b; the log file and JSON always keep the bytes)

exit codes: 0 success; 10 a task failed and nothing routed the failure; 12 bad --start-from;
20 task file invalid; 21 host or agent checks failed; 25 instance locked; 30 task file missing;
31 task file unreadable or not a regular file; 2 bad usage; 70 internal error; 130/143 interrupted;
return=N ends with N.`;

const FLAGS: Record<string, keyof TaskerArgs> = {
  '-r': 'run', '--run': 'run', '-d': 'debug', '--debug': 'debug', '--explain': 'explain',
  '-c': 'checkConnectivity', '--check-connectivity': 'checkConnectivity', '--connection-test': 'checkConnectivity',
  '--validate-only': 'validateOnly', '--show-plan': 'showPlan', '-y': 'yes', '--yes': 'yes',
  '--skip-task-validation': 'skipTaskValidation', '--skip-host-validation': 'skipHostValidation',
  '--skip-unresolved-host-validation': 'skipUnresolvedHostValidation', '--skip-command-validation': 'skipCommandValidation',
  '--skip-security-validation': 'skipSecurityValidation', '--skip-subtask-range-validation': 'skipSubtaskRangeValidation',
  '--skip-validation': 'skipValidation', '--strict-env-validation': 'strictEnvValidation',
  '--auto-recovery': 'autoRecovery', '--show-recovery-info': 'showRecoveryInfo', '--fire-and-forget': 'fireAndForget',
  '--no-task-backup': 'noTaskBackup', '--instance-check': 'instanceCheck', '--force-instance': 'forceInstance',
  '--show-effective-args': 'showEffectiveArgs', '--all-diagnostics': 'allDiagnostics', '--raw-output': 'rawOutput', '-h': 'help', '--help': 'help', '-V': 'version', '--version': 'version',
};

const VALUED: Record<string, keyof TaskerArgs> = {
  '-l': 'logDir', '--log-dir': 'logDir', '-t': 'execType', '--type': 'execType', '-o': 'timeout', '--timeout': 'timeout',
  '-p': 'project', '--project': 'project', '--config': 'config', '--agent': 'agent', '-i': 'inventory', '--inventory': 'inventory', '--start-from': 'startFrom',
  '--log-level': 'logLevel', '--graph': 'graph', '--alert-on-failure': 'alertOnFailure', '--max-file-size': 'maxFileSize',
  '--recovery-file': 'recoveryFile',
};

export function defaultArgs(): TaskerArgs {
  return {
    run: false, debug: false, explain: false, checkConnectivity: false, validateOnly: false, showPlan: false, yes: false,
    skipTaskValidation: false, skipHostValidation: false, skipUnresolvedHostValidation: false, skipCommandValidation: false,
    skipSecurityValidation: false, skipSubtaskRangeValidation: false, skipValidation: false, strictEnvValidation: false,
    autoRecovery: false, showRecoveryInfo: false, fireAndForget: false, noTaskBackup: false, instanceCheck: false,
    forceInstance: false, showEffectiveArgs: false, allDiagnostics: false, rawOutput: false, help: false, version: false,
  };
}

/**
 * Parse argv (without node and script). `into` lets file-defined options merge under the command line:
 * `explicit` records which options the command line set.
 */
export function parseTaskerArgs(argv: readonly string[], into = defaultArgs(), explicit = new Set<keyof TaskerArgs>()): TaskerArgs {
  const a = into;
  for (let i = 0; i < argv.length; i++) {
    let token = argv[i]!;
    let inline: string | undefined;
    if (token.startsWith('--') && token.includes('=')) {
      inline = token.slice(token.indexOf('=') + 1);
      token = token.slice(0, token.indexOf('='));
    }
    if (token === '--output-json') {
      explicit.add('outputJson');
      if (inline !== undefined) a.outputJson = inline;
      else {
        const nextTok = argv[i + 1];
        const takes = nextTok !== undefined && !nextTok.startsWith('-') && (a.taskFile !== undefined || /\.json$/i.test(nextTok) || argv.slice(i + 2).some((t) => !t.startsWith('-')));
        a.outputJson = takes ? argv[++i]! : '';
      }
      continue;
    }
    const flag = FLAGS[token];
    if (flag) {
      if (inline !== undefined) throw new UsageError(`option ${token} takes no value`);
      (a[flag] as boolean) = true;
      explicit.add(flag);
      continue;
    }
    const key = VALUED[token];
    if (key) {
      const value = inline ?? argv[++i];
      if (value === undefined) throw new UsageError(`option ${token} needs a value`);
      setValued(a, key, token, value);
      explicit.add(key);
      continue;
    }
    if (/^-[a-zA-Z]{2,}$/.test(token) && [...token.slice(1)].every((c) => FLAGS[`-${c}`])) {
      for (const c of token.slice(1)) {
        const f = FLAGS[`-${c}`]!;
        (a[f] as boolean) = true;
        explicit.add(f);
      }
      continue;
    }
    if (token.startsWith('-') && token !== '-') throw new UsageError(`unknown option ${token}`);
    if (a.taskFile !== undefined) throw new UsageError(`unexpected argument '${token}' (the task file is already '${a.taskFile}')`);
    a.taskFile = token;
  }
  return a;
}

function setValued(a: TaskerArgs, key: keyof TaskerArgs, token: string, value: string): void {
  switch (key) {
    case 'timeout': {
      if (!/^\d+$/.test(value) || Number(value) < 5 || Number(value) > 1000) {
        throw new UsageError(`${token} must be a whole number of seconds from 5 to 1000, got \`${value}\``);
      }
      a.timeout = Number(value);
      return;
    }
    case 'startFrom': {
      if (!/^\d+$/.test(value)) throw new UsageError(`${token} must be a task id (a whole number), got \`${value}\``);
      a.startFrom = Number(value);
      return;
    }
    case 'logLevel': {
      const v = value.toUpperCase() === 'WARNING' ? 'WARN' : value.toUpperCase();
      if (!['ERROR', 'WARN', 'INFO', 'DEBUG'].includes(v)) throw new UsageError(`${token} must be ERROR, WARN, INFO or DEBUG, got \`${value}\``);
      a.logLevel = v as TaskerArgs['logLevel'];
      return;
    }
    case 'maxFileSize': {
      const bytes = parseByteSize(value);
      if (bytes === undefined || bytes < 1024 || bytes > MAX_FILE_SIZE_LIMIT) {
        throw new UsageError(`${token} must be a size from 1K to 256M (bytes, or a number with K, M or G), got \`${value}\``);
      }
      a.maxFileSize = bytes;
      return;
    }
    case 'graph': {
      if (!['mermaid', 'dot', 'svg'].includes(value)) throw new UsageError(`${token} must be mermaid, dot or svg, got \`${value}\``);
      a.graph = value as TaskerArgs['graph'];
      return;
    }
    default:
      if (value === '') throw new UsageError(`${token} needs a non-empty value`);
      (a[key] as string) = value;
  }
}
