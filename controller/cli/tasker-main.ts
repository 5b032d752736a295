/**
 * `tasker` as a function: `runTasker(argv, io)` returns the exit code. The bin file passes the real
 * process; tests and the in-process parallelr pass their own io. No process-global state.
 */
import { statSync } from 'node:fs';
import { homedir } from 'node:os';
import { isAbsolute, join, resolve } from 'node:path';
import type { CliIo } from '../../shared/cli-io.js';
import { buildArgv, defaultRegistry, execTypeNames, resolveExecType } from '../../shared/exec/index.js';
import type { ExecTypeRegistry } from '../../shared/exec/index.js';
import { quoteArg, splitArgs } from '../../shared/exec/index.js';
import { ExitCode } from '../../shared/exit-codes.js';
import type { Diagnostic } from '../../shared/taskfile/diagnostics.js';
import { formatDiagnostic, hasErrors, sortDiagnostics } from '../../shared/taskfile/diagnostics.js';
import { formatDiagnosticList } from '../../shared/taskfile/diagnostic-list.js';
import { escapeControlChars } from '../../shared/text/index.js';
import { diagnosticOfProblem, exitCodeOfProblem } from '../../shared/input/index.js';
import { DEFAULT_INPUT_LIMITS, readBoundedFile, type InputLimits } from '../../shared/input/index.js';
import type { Task, Workflow } from '../../shared/taskfile/model.js';
import { checkGlobalsSecurity, checkSecurity } from '../../shared/taskfile/security.js';
import { parseTaskFile } from '../../shared/taskfile/parser.js';
import { buildWorkflow } from '../../shared/taskfile/validate.js';
import { secretValues, substitute } from '../../shared/taskfile/variables.js';
import { addSecretNames } from '../../shared/taskfile/secret-names.js';
import { VERSION } from '../../shared/version.js';
import { loadConfig } from '../../shared/config/index.js';
import { buildPlan, formatPlan } from '../engine/plan.js';
import { RunLog } from '../engine/run-log.js';
import { defaultArgs, HELP, parseTaskerArgs, USAGE, UsageError } from './tasker-args.js';
import type { TaskerArgs } from './tasker-args.js';
import { executeRun } from './tasker-run.js';
import type { Setup } from './setup.js';

export type { Setup } from './setup.js';

const FILE_FORBIDDEN = new Set(['--help', '-h', '--version', '-V', '--force-instance']);
// --max-file-size: the file was read before its options are known. --raw-output and
// --all-diagnostics: what reaches the operator's terminal is the operator's choice, not the file's.
const FILE_IGNORED = new Set(['--skip-security-validation', '--skip-validation', '--fire-and-forget', '--max-file-size', '--raw-output', '--all-diagnostics']);

export async function runTasker(argv: readonly string[], io: CliIo): Promise<number> {
  // The run log writes its lines at the end of an event-loop turn; the caller (the bin, or
  // parallelr in-process, which reads the output as soon as this resolves) must see them all.
  const made: { log?: RunLog } = {};
  try {
    return await runTaskerWith(argv, io, made);
  } finally {
    made.log?.flush();
  }
}

async function runTaskerWith(argv: readonly string[], io: CliIo, made: { log?: RunLog }): Promise<number> {
  const explicit = new Set<keyof TaskerArgs>();
  let args: TaskerArgs;
  try {
    args = parseTaskerArgs(argv, defaultArgs(), explicit);
  } catch (e) {
    if (e instanceof UsageError) {
      io.stderr.write(`${USAGE}\ntasker: error: ${e.message}\n`);
      return ExitCode.USAGE;
    }
    throw e;
  }
  if (args.help) {
    io.stdout.write(`${HELP}\n`);
    return ExitCode.SUCCESS;
  }
  if (args.version) {
    io.stdout.write(`TASKER v${VERSION}\n`);
    return ExitCode.SUCCESS;
  }
  if (args.taskFile === undefined) {
    io.stderr.write(`${USAGE}\ntasker: error: the task file is missing\n`);
    return ExitCode.USAGE;
  }
  const taskFile = isAbsolute(args.taskFile) ? args.taskFile : resolve(io.cwd, args.taskFile);
  const limits = inputLimits(args);
  const read = readBoundedFile(taskFile, limits);
  if (!read.ok) {
    const { problem } = read;
    const shown = escapeControlChars(args.taskFile);
    if (problem.kind === 'missing') io.stderr.write(`tasker: error: task file not found: ${shown}\n`);
    else if (problem.kind === 'not-regular') io.stderr.write(`tasker: error: ${shown} is ${problem.fileType}, not a task file\n`);
    else if (problem.kind === 'unreadable') io.stderr.write(`tasker: error: cannot read task file ${shown}: ${escapeControlChars(problem.cause ?? problem.reason)}\n`);
    else io.stderr.write(`${formatDiagnostic(diagnosticOfProblem(problem), args.taskFile)}\ntasker: error: the task file was not read; nothing was run\n`);
    return exitCodeOfProblem(problem);
  }
  const text = read.text;

  const level = args.logLevel ?? (args.debug ? 'DEBUG' : 'INFO');
  const log = new RunLog({ console: io.stdout, level, rawConsole: args.rawOutput });
  made.log = log;
  // Anything else written from here on (diagnostics, plans, prompts) comes after the lines
  // already logged.
  const raw = io;
  const afterLog = <A extends unknown[], R>(f: (...a: A) => R) => (...a: A): R => {
    log.flush();
    return f(...a);
  };
  io = {
    ...raw,
    stdout: { write: afterLog((t: string) => raw.stdout.write(t)) },
    stderr: { write: afterLog((t: string) => raw.stderr.write(t)) },
    readLine: raw.readLine && afterLog(raw.readLine),
  };
  const parsed = parseTaskFile(text, args.taskFile);
  const diagnostics = [...parsed.diagnostics];

  // Options written at the top of the task file merge under the command line.
  for (const fa of parsed.ast.fileArgs) {
    const words = splitArgs(fa.text).args;
    const name = words[0]?.split('=')[0] ?? '';
    if (FILE_FORBIDDEN.has(name)) {
      diagnostics.push({ code: 'FORBIDDEN_FILE_OPTION', severity: 'error', message: `${name} cannot be given in a task file`, line: fa.line, col: 1, length: fa.text.length, hint: 'give it on the command line' });
      continue;
    }
    if (FILE_IGNORED.has(name)) {
      log.warn(`${args.taskFile}:${fa.line}: ${name} in a task file is ignored; give it on the command line`);
      continue;
    }
    if (/^-[a-zA-Z]{2,}/.test(name) || (/^-[a-z-]{3,}/.test(name) && !name.startsWith('--'))) {
      io.stderr.write(escapeControlChars(`${USAGE}\ntasker: error: ${args.taskFile}:${fa.line}: '${name}' is not an option (long options start with --)\n`));
      return ExitCode.USAGE;
    }
    try {
      const fileArgs = parseTaskerArgs(words, defaultArgs());
      for (const [k, v] of Object.entries(fileArgs) as [keyof TaskerArgs, unknown][]) {
        if (k === 'taskFile' || explicit.has(k)) continue;
        if (typeof v === 'boolean') (args[k] as boolean) = (args[k] as boolean) || v;
        else if (v !== undefined) (args as unknown as Record<string, unknown>)[k] = v;
      }
    } catch (e) {
      diagnostics.push({ code: 'BAD_FILE_OPTION', severity: 'error', message: (e as Error).message, line: fa.line, col: 1, length: fa.text.length });
    }
  }
  if (args.skipValidation) {
    args.skipTaskValidation = args.skipHostValidation = args.skipCommandValidation = args.skipSecurityValidation = true;
  }
  if (args.showEffectiveArgs) {
    io.stdout.write(`${JSON.stringify({ ...args, taskFile }, null, 2)}\n`);
    return ExitCode.SUCCESS;
  }

  // Config: exec types, host validation, agents.
  const home = io.env['HOME'] || homedir();
  let registry = defaultRegistry();
  let config: Setup['config'] = { data: {} };
  // loadConfig knows the search path and loads yaml (~35 ms) only when it finds a file.
  const loaded = loadConfig({ explicitPath: args.config, env: io.env, cwd: io.cwd, home, limits });
  if (loaded.path !== undefined || loaded.diagnostics.length > 0) {
    const { execTypesFromConfig } = await import('../../shared/config/index.js');
    config = loaded;
    const { secretNamesFromConfig } = await import('../../shared/config/index.js');
    const fromConfig = execTypesFromConfig(loaded.data, loaded.positionOf);
    registry = fromConfig.registry;
    const { remoteConfigDiagnostics } = await import('./remote-config-diagnostics.js');
    const secretNames = secretNamesFromConfig(loaded.data, loaded.positionOf);
    addSecretNames(secretNames.names);
    const configDiagnostics = [
      ...loaded.diagnostics, ...fromConfig.diagnostics, ...secretNames.diagnostics, ...remoteConfigDiagnostics(loaded.data, loaded.path, loaded.positionOf),
    ];
    for (const text of formatDiagnosticList(configDiagnostics, loaded.path ?? args.config ?? 'config', loaded.lines, { all: args.allDiagnostics, allOption: '--all-diagnostics' })) {
      io.stderr.write(`${text}\n`);
    }
    if (hasErrors(configDiagnostics)) {
      io.stderr.write(`tasker: error: the config file has errors; nothing was run\n`);
      return loaded.problem ? exitCodeOfProblem(loaded.problem) : ExitCode.VALIDATION_FAILED;
    }
  }
  const execNames = new Set(execTypeNames(registry).map((n) => n.toLowerCase()));
  const canonicalExecType = (name: string): string | undefined => resolveExecType(registry, name)?.name;

  const envType = io.env['TASK_EXECUTOR_TYPE'];
  const defaultExecType = (args.execType ?? (envType || undefined) ?? registry.defaultExecType ?? 'pbrun').toLowerCase();
  // The exec type a task runs with decides whether tasker expands $VAR in its arguments (a shell does its own).
  const runsInShell = (t: Task, resolveGlobals: (s: string) => string): boolean | undefined => {
    const name = t.exec !== undefined ? resolveGlobals(t.exec).trim().toLowerCase() : defaultExecType;
    const canonical = canonicalExecType(name);
    return canonical === undefined ? (name.includes('@') ? undefined : false) : canonical === 'shell';
  };
  const built = buildWorkflow(parsed.ast, { env: io.env, execTypes: execNames, strictEnv: args.strictEnvValidation, startFrom: args.startFrom, runsInShell });
  // Not push(...list): a hostile file can hold more diagnostics than a call has room for arguments.
  for (const d of built.diagnostics) diagnostics.push(d);
  const workflow = built.workflow;
  // Security checks of the task fields (skippable); globals are always checked, as the peer does.
  const execTypeOf = (t: Task, resolve: (s: string) => string): string => canonicalExecType(t.exec !== undefined ? resolve(t.exec).trim().toLowerCase() : 'local') ?? 'local';
  for (const d of args.skipSecurityValidation ? checkGlobalsSecurity(workflow) : checkSecurity(workflow, { execTypeOf })) diagnostics.push(d);

  if (!canonicalExecType(defaultExecType)) {
    io.stderr.write(`${USAGE}\ntasker: error: exec type '${defaultExecType}' (from ${args.execType ? '-t' : envType ? 'TASK_EXECUTOR_TYPE' : 'the config'}) is not configured; known: ${[...execNames].sort().join(', ')}\n`);
    return ExitCode.USAGE;
  }
  const envTimeout = io.env['TASK_EXECUTOR_TIMEOUT'];
  let defaultTimeoutSec = args.timeout ?? 30;
  if (args.timeout === undefined) {
    if (envTimeout !== undefined && envTimeout !== '') {
      if (/^\d+$/.test(envTimeout)) defaultTimeoutSec = Math.min(1000, Math.max(5, Number(envTimeout)));
      else log.warn(`TASK_EXECUTOR_TIMEOUT='${envTimeout}' is not a whole number of seconds; using 30`);
    } else if (registry.defaultTimeoutSec !== undefined) defaultTimeoutSec = Math.min(1000, Math.max(5, registry.defaultTimeoutSec));
  }
  const configLogDir = typeof config.data['log_dir'] === 'string' ? (config.data['log_dir'] as string) : undefined;
  const baseRaw = args.logDir ?? (io.env['TASK_EXECUTOR_LOG'] || undefined) ?? configLogDir ?? join(home, 'TASKER');
  const base = resolve(io.cwd, baseRaw.replace(/^~(?=$|\/)/, home));
  const secrets = secretValues(workflow.globals);
  log.secrets = secrets;

  const describeCommand = (execType: string, hostname: string, command: string, a: string): string => {
    if (execType === 'ssh') return `ssh ${hostname} ${command}${a ? ` ${a}` : ''}`;
    const t = resolveExecType(registry, execType);
    if (!t) return `${command} ${a}`.trim();
    if (t.name === 'local') return `${command}${a ? ` ${a}` : ''}`;
    const { argv: av, error } = buildArgv(t, { hostname, command, arguments: a });
    return error ? `${command} ${a}`.trim() : av.map(quoteArg).join(' ');
  };

  const taskExecTypes = new Map<string | undefined, { name: string; canonical: string | undefined }>();
  const taskExecType = (t: Task): { name: string; canonical: string | undefined } => {
    let known = taskExecTypes.get(t.exec);
    if (!known) {
      const name = t.exec !== undefined ? substitute(t.exec, (n) => workflow.globals.get(n)).trim().toLowerCase() : defaultExecType;
      known = { name, canonical: canonicalExecType(name) };
      taskExecTypes.set(t.exec, known);
    }
    return known;
  };

  const setup: Setup = {
    args, io, taskFile, text, workflow, diagnostics, registry, config, defaultExecType, defaultTimeoutSec, base, log, secrets,
    canonicalExecType, taskExecType, describeCommand,
  };

  // Report every diagnostic, compiler-style, on stderr; warnings are also log lines (they are counted).
  // A run that resumes from saved state reports every unset environment variable of a global
  // itself (using the saved value, or not, as the operator confirms); the validator's error would
  // contradict that.
  const resumes = args.run && args.autoRecovery && (await hasRecoveryState(base, taskFile));
  const sorted = sortDiagnostics(resumes ? diagnostics.filter((x) => x.code !== 'UNSET_ENV_VAR') : diagnostics);
  for (const text of formatDiagnosticList(sorted, args.taskFile, parsed.ast.lines, { all: args.allDiagnostics, allOption: '--all-diagnostics' })) {
    io.stderr.write(`${text}\n`);
  }
  for (const d of sorted) if (d.severity === 'warning') log.warnRecorded(`${args.taskFile}:${d.line ?? 0}:${d.col ?? 0}: ${d.message}`);
  const errors = sorted.filter((d) => d.severity === 'error');
  if (errors.length > 0 && !args.skipTaskValidation) {
    log.error(`Task file validation failed: ${errors.length} error(s); no task was run`);
    return executeRun(setup, { validationFailed: 'task_validation' });
  }
  if (errors.length > 0) log.warn(`--skip-task-validation: running despite ${errors.length} validation error(s)`);
  if (workflow.tasks.size === 0) {
    log.error(`${args.taskFile} defines no tasks`);
    return executeRun(setup, { validationFailed: 'task_file_parsing', exitCode: ExitCode.VALIDATION_FAILED });
  }
  if (args.startFrom !== undefined && (args.run || args.validateOnly)) log.warn(`Resume mode: starting from task ${args.startFrom} (--start-from)`);
  if (args.startFrom !== undefined && !workflow.tasks.has(args.startFrom)) {
    log.error(`--start-from ${args.startFrom}: task ${args.startFrom} is not defined`);
    return executeRun(setup, { validationFailed: 'start_from_validation', exitCode: ExitCode.START_FROM_INVALID });
  }

  if (args.graph) {
    const { toDot, toMermaid } = await import('../engine/graph.js');
    if (args.graph === 'mermaid') io.stdout.write(toMermaid(workflow));
    else if (args.graph === 'dot') io.stdout.write(toDot(workflow));
    else return renderSvg(toDot(workflow), io);
    return ExitCode.SUCCESS;
  }

  if (!args.run && !args.validateOnly) {
    const code = await executeRun(setup, { preflightOnly: true });
    if (code !== ExitCode.SUCCESS) return code;
    const plan = formatPlan(workflow, buildPlan(workflow, { defaultExecType, canonicalExecType, describeCommand, startFrom: args.startFrom, env: io.env }), args.taskFile);
    io.stdout.write(args.rawOutput ? plan : escapeControlChars(plan));
    return ExitCode.SUCCESS;
  }
  return executeRun(setup, {});
}

/** The size limits of the files this run reads: `--max-file-size`, lines at most 1 MiB. */
function inputLimits(args: TaskerArgs): InputLimits {
  if (args.maxFileSize === undefined) return DEFAULT_INPUT_LIMITS;
  return { maxFileBytes: args.maxFileSize, maxLineBytes: Math.min(args.maxFileSize, DEFAULT_INPUT_LIMITS.maxLineBytes) };
}

async function hasRecoveryState(base: string, taskFile: string): Promise<boolean> {
  const { recoveryPath } = await import('../recovery/index.js');
  try {
    return statSync(recoveryPath(base, taskFile)).isFile();
  } catch {
    return false;
  }
}

async function renderSvg(dot: string, io: CliIo): Promise<number> {
  const { findBinary } = await import('../../shared/exec/index.js');
  if (!findBinary('dot', io.env['PATH'])) {
    io.stderr.write('tasker: error: --graph svg needs Graphviz `dot`, which is not on PATH; install it (Debian: apt-get install graphviz) or use --graph dot\n');
    return ExitCode.USAGE;
  }
  const { spawnSync } = await import('node:child_process');
  const r = spawnSync('dot', ['-Tsvg'], { input: dot, encoding: 'utf8' });
  if (r.status !== 0) {
    io.stderr.write(`tasker: error: dot failed: ${r.stderr}\n`);
    return 1;
  }
  io.stdout.write(r.stdout);
  return ExitCode.SUCCESS;
}
