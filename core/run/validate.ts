/**
 * Stage 2, validate: load the config (exec types, secrets, agents), build the workflow, run the
 * security checks, decide the defaults (exec type, timeout, log folder) and report every diagnostic.
 */
import { statSync } from 'node:fs';
import { homedir } from 'node:os';
import { join, resolve } from 'node:path';
import { defaultRegistry } from '../../shared/exec/index.js';
import { ExitCode } from '../../shared/exit-codes.js';
import { loadConfig } from '../../shared/config/index.js';
import { exitCodeOfProblem } from '../../shared/input/index.js';
import { hasErrors, sortDiagnostics } from '../../shared/taskfile/diagnostics.js';
import { formatDiagnosticList } from '../../shared/taskfile/diagnostic-list.js';
import type { Task } from '../../shared/taskfile/model.js';
import { addSecretNames } from '../../shared/taskfile/secret-names.js';
import { checkGlobalsSecurity, checkSecurity } from '../../shared/taskfile/security.js';
import { buildWorkflow } from '../../shared/taskfile/validate.js';
import { secretValues } from '../../shared/taskfile/variables.js';
import { USAGE } from '../args/index.js';
import { loadRunInventory } from './inventory.js';
import { createExecTypes } from './exec-types.js';
import { inputLimits } from './load.js';
import { recoveryFileOf } from './recovery.js';
import type { RunOptions } from './remote-placement.js';
import type { LoadedRun, RunConfig, RunExit, ValidatedRun, ValidationFailure } from './types.js';

/** A task's timeout when neither -o, TASK_EXECUTOR_TIMEOUT nor the config sets one. */
const DEFAULT_TIMEOUT_SEC = 30;

export type ValidateResult = { run: ValidatedRun; failure?: ValidationFailure } | RunExit;

export async function validateRun(loaded: LoadedRun, options: RunOptions): Promise<ValidateResult> {
  const { args, io, log, diagnostics } = loaded;
  const home = io.env['HOME'] || homedir();
  const configured = await loadRunConfig(loaded, home, options);
  if ('exitCode' in configured) return configured;
  const { registry, config } = configured;
  // The inventory (docs/inventory.md): an unreadable or invalid one stops here, exit 20.
  const inv = await loadRunInventory(args, config, io, home, inputLimits(args));
  if ('exitCode' in inv) return inv;
  const { inventory, hostTarget, hostAddress } = inv;
  const execTypes = createExecTypes(registry, args.execType, io.env);
  // The exec type a task runs with decides whether tasker expands $VAR in its arguments (a shell does its own).
  const runsInShell = (t: Task, resolveGlobals: (s: string) => string): boolean | undefined => {
    const name = t.exec !== undefined ? resolveGlobals(t.exec).trim().toLowerCase() : execTypes.defaultName;
    const canonical = execTypes.canonical(name);
    return canonical === undefined ? (name.includes('@') ? undefined : false) : canonical === 'shell';
  };
  const built = buildWorkflow(loaded.ast, { env: io.env, execTypes: execTypes.names, strictEnv: args.strictEnvValidation, startFrom: args.startFrom, runsInShell, inventory });
  // Not push(...list): a hostile file can hold more diagnostics than a call has room for arguments.
  for (const d of built.diagnostics) diagnostics.push(d);
  const workflow = built.workflow;
  execTypes.bind(workflow);
  // Security checks of the task fields (skippable); globals are always checked, as the peer does.
  const execTypeOf = (t: Task, sub: (s: string) => string): string => execTypes.canonical(t.exec !== undefined ? sub(t.exec).trim().toLowerCase() : 'local') ?? 'local';
  for (const d of args.skipSecurityValidation ? checkGlobalsSecurity(workflow) : checkSecurity(workflow, { execTypeOf })) diagnostics.push(d);
  if (inventory && !args.skipSecurityValidation) {
    const { checkHostVarSecurity } = await import('../../shared/taskfile/host-var-security.js');
    for (const d of checkHostVarSecurity(workflow)) diagnostics.push(d);
  }

  if (!execTypes.canonical(execTypes.defaultName)) {
    io.stderr.write(`${USAGE}\ntasker: error: exec type '${execTypes.defaultName}' (from ${execTypes.defaultSource}) is not configured; known: ${[...execTypes.names].sort().join(', ')}\n`);
    return { exitCode: ExitCode.USAGE };
  }
  const configLogDir = typeof config.data['log_dir'] === 'string' ? (config.data['log_dir'] as string) : undefined;
  const baseRaw = args.logDir ?? (io.env['TASK_EXECUTOR_LOG'] || undefined) ?? configLogDir ?? join(home, 'TASKER');
  const secrets = inv.withSecrets(secretValues(workflow.globals));
  log.secrets = secrets;
  const run: ValidatedRun = {
    ...loaded, workflow, registry, config, execTypes, secrets, inventory, hostTarget, hostAddress, onRecords: options.onRecords, onRecoveryFile: options.onRecoveryFile,
    defaultTimeoutSec: defaultTimeout(loaded, registry.defaultTimeoutSec),
    base: resolve(io.cwd, baseRaw.replace(/^~(?=$|\/)/, home)),
  };
  const failure = await reportDiagnostics(run);
  return failure ? { run, failure } : { run };
}

/** Exec types, secret names and agents from the config file, when there is one. */
async function loadRunConfig(loaded: LoadedRun, home: string, options: RunOptions): Promise<{ registry: ReturnType<typeof defaultRegistry>; config: RunConfig } | RunExit> {
  const { args, io } = loaded;
  // loadConfig knows the search path and loads yaml only when it finds a file.
  const found = loadConfig({ explicitPath: args.config, env: io.env, cwd: io.cwd, home, limits: inputLimits(args) });
  if (found.path === undefined && found.diagnostics.length === 0) return { registry: defaultRegistry(), config: { data: {} } };
  const { execTypesFromConfig } = await import('../../shared/config/index.js');
  const { secretNamesFromConfig } = await import('../../shared/config/index.js');
  const fromConfig = execTypesFromConfig(found.data, found.positionOf);
  const secretNames = secretNamesFromConfig(found.data, found.positionOf);
  addSecretNames(secretNames.names);
  const configDiagnostics = [
    ...found.diagnostics, ...fromConfig.diagnostics, ...secretNames.diagnostics,
    ...(await options.remote?.configDiagnostics(found.data, found.path, found.positionOf) ?? []),
  ];
  for (const text of formatDiagnosticList(configDiagnostics, found.path ?? args.config ?? 'config', found.lines, { all: args.allDiagnostics, allOption: '--all-diagnostics' })) {
    io.stderr.write(`${text}\n`);
  }
  if (hasErrors(configDiagnostics)) {
    io.stderr.write(`tasker: error: the config file has errors; nothing was run\n`);
    return { exitCode: found.problem ? exitCodeOfProblem(found.problem) : ExitCode.VALIDATION_FAILED };
  }
  return { registry: fromConfig.registry, config: found };
}

/** -o, else TASK_EXECUTOR_TIMEOUT, else the config's, else 30 s (5..1000 from the environment or config). */
function defaultTimeout(loaded: LoadedRun, fromConfig: number | undefined): number {
  const { args, io, log } = loaded;
  if (args.timeout !== undefined) return args.timeout;
  const envTimeout = io.env['TASK_EXECUTOR_TIMEOUT'];
  if (envTimeout !== undefined && envTimeout !== '') {
    if (/^\d+$/.test(envTimeout)) return Math.min(1000, Math.max(5, Number(envTimeout)));
    log.warn(`TASK_EXECUTOR_TIMEOUT='${envTimeout}' is not a whole number of seconds; using ${DEFAULT_TIMEOUT_SEC}`);
    return DEFAULT_TIMEOUT_SEC;
  }
  return fromConfig !== undefined ? Math.min(1000, Math.max(5, fromConfig)) : DEFAULT_TIMEOUT_SEC;
}

/**
 * Report every diagnostic, compiler-style, on stderr; warnings are also log lines (they are counted).
 * Returns the failure that stops the run before any task, if any.
 */
async function reportDiagnostics(run: ValidatedRun): Promise<ValidationFailure | undefined> {
  const { args, io, log, workflow } = run;
  // A run that resumes from saved state reports every unset environment variable of a global
  // itself (using the saved value, or not, as the operator confirms); the validator's error would
  // contradict that.
  const resumes = args.run && args.autoRecovery && (await hasRecoveryState(run));
  const sorted = sortDiagnostics(resumes ? run.diagnostics.filter((x) => x.code !== 'UNSET_ENV_VAR') : run.diagnostics);
  for (const text of formatDiagnosticList(sorted, args.taskFile!, run.ast.lines, { all: args.allDiagnostics, allOption: '--all-diagnostics' })) {
    io.stderr.write(`${text}\n`);
  }
  // Errors are listed too, so a JSON reader of a refused file sees why (as it sees an interruption's reason).
  for (const d of sorted) {
    const place = `${args.taskFile}:${d.line ?? 0}:${d.col ?? 0}`;
    if (d.severity === 'warning') log.warnRecorded(`${place}: ${d.message}`);
    else log.errorRecordedQuietly(`${place}: error[${d.code}]: ${d.message}`);
  }
  const errors = sorted.filter((d) => d.severity === 'error');
  if (errors.length > 0 && !args.skipTaskValidation) {
    log.error(`Task file validation failed: ${errors.length} error(s); no task was run`);
    return { phase: 'task_validation', exitCode: ExitCode.VALIDATION_FAILED };
  }
  if (errors.length > 0) log.warn(`--skip-task-validation: running despite ${errors.length} validation error(s)`);
  if (workflow.tasks.size === 0) {
    log.error(`${args.taskFile} defines no tasks`);
    return { phase: 'task_file_parsing', exitCode: ExitCode.VALIDATION_FAILED };
  }
  if (args.startFrom !== undefined && (args.run || args.validateOnly)) log.warn(`Resume mode: starting from task ${args.startFrom} (--start-from)`);
  if (args.startFrom !== undefined && !workflow.tasks.has(args.startFrom)) {
    log.error(`--start-from ${args.startFrom}: task ${args.startFrom} is not defined`);
    return { phase: 'start_from_validation', exitCode: ExitCode.START_FROM_INVALID };
  }
  return undefined;
}

async function hasRecoveryState(run: ValidatedRun): Promise<boolean> {
  const path = await recoveryFileOf(run);
  try {
    // Usually there is none: no error (and its stack) is built for it.
    return statSync(path, { throwIfNoEntry: false })?.isFile() ?? false;
  } catch {
    return false;
  }
}
