import type { RunContext } from './run-context.js';
import { existsSync } from 'node:fs';
import { randomBytes } from 'node:crypto';
import { join, resolve } from 'node:path';
import type { CliIo } from '../../shared/cli-io.js';
import { startInputBackup, type InputBackup } from './backup.js';
import { buildTaskCommand, parseCommandTemplate } from './command.js';
import { loadChecked } from './config-commands.js';
import { daemonStartedLine, DAEMON_ENV, startDaemon } from './daemon.js';
import { ParallelrExit } from './exit-codes.js';
import { resolveTaskEntries } from './inputs.js';
import { openMainLog, type LogLevel } from './main-log.js';
import { type CliOptions } from './options.js';
import { formatTimestamp, packageVersion, sessionFiles, type ParallelrDirs } from './paths.js';
import { runParallel } from './pool.js';
import { createProgressReporter } from './progress.js';
import { processStartTime, WorkerRegistry, type WorkerEntry } from './registry.js';
import { openResultsWriter } from './results-writer.js';
import { countRecords, formatSummary } from './summary.js';
import { openTaskOutputWriter } from './task-output.js';
import { makePrivateDir } from '../../shared/private-files.js';
import { SetupError, UsageError } from '../../shared/errors/index.js';

type Write = (text: string) => void;

/** What a run needs to know about the invocation. */
export interface RunTasksContext extends RunContext {
  pid: number;
  /** The command line as given (handed unchanged to a daemon child). */
  argv: string[];
  ptasker: boolean;
  name: string;
}

/** A dry run, a daemon launch, or a run in this process. */
export async function runTasks(
  opts: CliOptions,
  dirs: ParallelrDirs,
  io: CliIo,
  ctx: RunTasksContext,
  out: Write,
  err: Write,
): Promise<number> {
  const config = loadChecked(dirs, err);
  const limits = config.limits;
  if (opts.maxWorkers !== undefined && opts.maxWorkers > limits.max_allowed_workers) {
    throw new UsageError(`-m/--max must be a whole number from 1 to ${limits.max_allowed_workers} (limits.max_allowed_workers), got \`${opts.maxWorkers}\``);
  }
  if (opts.timeout !== undefined && opts.timeout > limits.max_allowed_timeout) {
    throw new UsageError(`-t/--timeout must be a whole number of seconds from 1 to ${limits.max_allowed_timeout} (limits.max_allowed_timeout), got \`${opts.timeout}\``);
  }
  if (opts.resume !== undefined) {
    return distributedRunner(ctx)({ resume: opts.resume, nats: opts.nats, pool: opts.pool, configFiles: [dirs.installationConfig, dirs.userConfig], quiet: opts.quiet }, io);
  }
  const isDaemonChild = io.env[DAEMON_ENV] === '1';
  const { [DAEMON_ENV]: _daemonMarker, ...rest } = io.env;
  // Frozen, like the process's own snapshot: the launcher then encodes it once for every command.
  const env: NodeJS.ProcessEnv = Object.freeze(rest);

  let commandText = opts.command;
  let envNames = opts.envVarNames;
  if (ctx.ptasker) {
    if (opts.tasksPaths.length === 0) throw new UsageError('ptasker needs -T (task files or a template)');
    const project = opts.project ?? `parallelr_${randomBytes(3).toString('hex')}`;
    if (!opts.project) out(`Auto-generated project: ${project}`);
    commandText = `tasker @TASK@ -p ${project} -r`;
    out(`Using command: ${commandText}`);
    if (opts.argumentsFile && envNames.length === 0) {
      envNames = ['HOSTNAME'];
      out('Auto-setting environment variable: HOSTNAME');
    }
  }
  if (commandText === undefined) throw new UsageError('-C/--Command is required (e.g. -C "bash @TASK@")');
  if (opts.tasksPaths.length === 0 && !opts.argumentsFile) throw new UsageError('-T/--TasksDir or -A/--arguments-file is required');
  if (opts.daemon && !opts.run && !isDaemonChild) throw new UsageError('-d/--daemon needs -r/--run (a dry run has nothing to run in the background)');
  const parsed = parseCommandTemplate(commandText);
  if ('error' in parsed) throw new UsageError(parsed.error);
  const template = parsed.template;

  const { entries, argumentsPath } = await resolveTaskEntries(opts, template, envNames, io, dirs, err);

  const stamped = formatTimestamp(new Date(), config.logging.custom_date_format);
  const stamp = 'text' in stamped ? stamped.text : String(Date.now());

  if (opts.daemon && !isDaemonChild) {
    const registry = new WorkerRegistry(dirs.pids);
    const selfArgv = ctx.selfArgv ?? [process.execPath, ...process.execArgv, process.argv[1]!];
    const started = await startDaemon({ selfArgv, args: ctx.argv, cwd: io.cwd, env: io.env, logsDir: dirs.logs, stamp, registry });
    if (started.failure) {
      err(`parallelr: the daemon did not start: ${started.failure}`);
      return ParallelrExit.FAILED;
    }
    const entry = registry.read(started.pid);
    out(`Started parallelr daemon, PID ${started.pid}: ${entries.length} task(s), command ${template.text}`);
    out(`Working directory: ${io.cwd}`);
    if (entry?.main_log) out(`Main log: ${entry.main_log}`);
    if (entry?.results) out(`Results: ${entry.results}`);
    out(`Daemon output: ${started.outputFile}`);
    out(`Watch: parallelr --list-workers    Stop: parallelr -k ${started.pid}`);
    return ParallelrExit.SUCCESS;
  }

  const maxWorkers = opts.maxWorkers ?? limits.max_workers;
  const timeoutSeconds = opts.timeout ?? limits.timeout_seconds;
  const startDelay = opts.sleep ?? limits.task_start_delay;
  const stopLimitsOn = opts.stopLimits || limits.stop_limits_enabled;
  const stopDesc = `${limits.max_consecutive_failures} consecutive failures, or failure rate > ${(limits.max_failure_rate * 100).toFixed(0)}% after ${limits.min_tasks_for_rate_check} tasks`;

  if (!opts.run) {
    out(`DRY RUN: ${entries.length} task(s) would run with ${Math.min(maxWorkers, entries.length)} worker(s), timeout ${timeoutSeconds}s. Nothing is executed; add -r to run.`);
    for (const e of entries) {
      const built = buildTaskCommand(template, e, config.security.max_argument_length);
      out(`[${e.index}/${entries.length}]: ${'error' in built ? `ERROR: ${built.error}` : built.display}`);
    }
    return ParallelrExit.SUCCESS;
  }

  // Run mode.
  if (opts.nats !== undefined || opts.pool !== undefined) {
    return distributedRunner(ctx)({
      nats: opts.nats, pool: opts.pool, entries, command: template.text, timeoutSeconds,
      stopLimits: stopLimitsOn
        ? { maxConsecutiveFailures: limits.max_consecutive_failures, maxFailureRate: limits.max_failure_rate, minTasksForRateCheck: limits.min_tasks_for_rate_check }
        : null,
      maxOutputCapture: limits.max_output_capture, resultsFile: opts.results ? resolve(io.cwd, opts.results) : undefined,
      configFiles: [dirs.installationConfig, dirs.userConfig], quiet: opts.quiet,
    }, io);
  }
  if (isDaemonChild) out(daemonStartedLine(ctx.pid));
  const workspace = { dir: dirs.workspace, isolated: config.execution.workspace_isolation };
  // Tasks' shared working directory: what they leave there may hold secrets, as their logs do.
  makePrivateDir(workspace.dir);
  let sessionId = `${ctx.pid}_${stamp}`;
  let files = sessionFiles(dirs.logs, ctx.pid, stamp);
  for (let n = 2; existsSync(files.mainLog) || existsSync(files.results); n++) {
    sessionId = `${ctx.pid}_${stamp}_${n}`;
    files = sessionFiles(dirs.logs, ctx.pid, `${stamp}_${n}`);
  }
  const resultsPath = opts.results ? resolve(io.cwd, opts.results) : files.results;
  const outputOn = opts.taskOutputLog ?? config.logging.task_output_log;
  const level: LogLevel = opts.debug ? 'DEBUG' : (config.logging.level as LogLevel);
  const log = openMainLog(files.mainLog, {
    level,
    pid: ctx.pid,
    maxBytes: config.logging.max_log_size_mb * 1024 * 1024,
    backups: config.logging.backup_count,
  });
  const results = openResultsWriter(resultsPath);
  const parameters = [`-C (Command template): ${template.text}`];
  if (opts.tasksPaths.length) parameters.push(`-T (Task paths): ${opts.tasksPaths.join(' ')}`);
  if (opts.argumentsFile) parameters.push(`-A (Arguments file): ${opts.argumentsFile}`);
  if (envNames.length) parameters.push(`-E (Environment variables): ${envNames.join(',')}`);
  const taskOutput = outputOn ? openTaskOutputWriter(files.output, parameters, limits.max_output_capture) : null;

  const registry = new WorkerRegistry(dirs.pids);
  const entry: WorkerEntry = {
    pid: ctx.pid,
    proc_start: processStartTime(ctx.pid),
    session_id: sessionId,
    status: 'running',
    daemon: isDaemonChild,
    start_time: new Date().toISOString(),
    cwd: io.cwd,
    command_template: template.text,
    total: entries.length,
    done: 0,
    failed: 0,
    main_log: files.mainLog,
    results: resultsPath,
    updated: '',
  };
  registry.list(); // removes stale entries
  registry.write(entry);

  const banner = [
    '='.repeat(70),
    `${ctx.name} ${packageVersion()}  session ${sessionId}${isDaemonChild ? '  (daemon)' : ''}`,
    `Command template: ${template.text}`,
    opts.tasksPaths.length ? `Task paths: ${opts.tasksPaths.join(' ')}` : undefined,
    opts.argumentsFile ? `Arguments file: ${opts.argumentsFile}${opts.separator ? ` (separator: ${opts.separator})` : ''}` : undefined,
    envNames.length ? `Environment variables: ${envNames.join(', ')}` : undefined,
    `Tasks: ${entries.length}   Workers: ${maxWorkers}   Timeout: ${timeoutSeconds}s   Start delay: ${startDelay}s`,
    `Workspace: ${workspace.dir}${workspace.isolated ? ' (isolated, one directory per task)' : ' (shared)'}`,
    `Stop limits: ${stopLimitsOn ? `enabled (${stopDesc})` : 'disabled'}`,
    `Main log: ${files.mainLog}`,
    `Results: ${resultsPath}`,
    taskOutput ? `Task output: ${taskOutput.path}` : undefined,
    '='.repeat(70),
  ].filter((l): l is string => l !== undefined);
  let backup: InputBackup | undefined;
  if (opts.backup) {
    const b = startInputBackup({
      dir: join(dirs.backups, `parallelr_${sessionId}`),
      taskFiles: entries.flatMap((e) => (e.taskPath ? [e.taskPath] : [])),
      argumentsFile: argumentsPath,
      session: { session_id: sessionId, pid: ctx.pid, start_time: entry.start_time, cwd: io.cwd, argv: ctx.argv, command_template: template.text, tasks: entries.length, results: resultsPath },
      onWarning: (message) => {
        err(`parallelr: warning: ${message}`);
        log.warn(message);
      },
    });
    if ('warning' in b) err(`parallelr: warning: ${b.warning}`);
    else {
      backup = b;
      banner.splice(banner.length - 1, 0, `Input backup: ${b.dir}`);
    }
  }
  out(banner.join('\n'));
  for (const l of banner.slice(1, -1)) log.info(l);
  if (opts.wait !== undefined) log.debug(`-w ${opts.wait}: accepted; completions are event driven, there is no polling`);
  if (!config.execution.use_process_groups) log.warn('execution.use_process_groups: false is ignored: every task runs in its own process group so a timeout can kill all of it');

  const markStopping = () => {
    entry.status = 'stopping';
    registry.write(entry);
  };
  io.signal?.addEventListener('abort', markStopping, { once: true });
  let lastRegistryWrite = 0;
  const progress = createProgressReporter({ total: entries.length, tty: io.isTTY && !isDaemonChild, stdout: io.stdout, stderr: io.stderr, quiet: opts.quiet });
  let result;
  try {
    result = await runParallel(
      {
        sessionId,
        entries,
        template,
        maxWorkers,
        timeoutSeconds,
        startDelaySeconds: startDelay,
        killGraceMs: config.execution.kill_grace_seconds * 1000,
        stopLimits: stopLimitsOn
          ? { maxConsecutiveFailures: limits.max_consecutive_failures, maxFailureRate: limits.max_failure_rate, minTasksForRateCheck: limits.min_tasks_for_rate_check }
          : null,
        workspace,
        pid: ctx.pid,
        maxArgumentLength: config.security.max_argument_length,
        maxOutputCapture: limits.max_output_capture,
        maxFileSize: config.advanced.max_file_size,
        inProcessTasker: opts.inProcess,
        results,
        taskOutput,
        log,
        progress,
        beforeTask: backup && ((e) => (e.taskPath ? backup.before(e.taskPath) : Promise.resolve())),
        onRecord: (r, c) => {
          entry.done = c.done;
          if (r.status !== 'SUCCESS' && r.status !== 'CANCELLED') entry.failed++;
          const now = Date.now();
          if (now - lastRegistryWrite >= 500 || c.done === c.total) {
            lastRegistryWrite = now;
            registry.write(entry);
          }
        },
      },
      { ...io, env },
    );
  } finally {
    // A stopped run leaves files it never started; their copies finish all the same.
    await backup?.finished;
    results.close();
    taskOutput?.close();
    io.signal?.removeEventListener('abort', markStopping);
    registry.remove(ctx.pid);
  }
  const counts = countRecords(result.records);
  log.info(`Execution completed: total ${counts.total}, succeeded ${counts.succeeded}, failed ${counts.failed}, cancelled ${counts.cancelled}`);
  const summary = formatSummary({
    records: result.records,
    workers: maxWorkers,
    pid: ctx.pid,
    workspace,
    logDir: dirs.logs,
    stopLimits: { enabled: stopLimitsOn, description: stopDesc, tripped: result.stopReason },
    files: { mainLog: files.mainLog, results: resultsPath, output: taskOutput?.path ?? null },
    interrupted: result.interrupted,
    elapsedSeconds: result.elapsedSeconds,
    hosts: { tallies: result.hosts, note: hostsNote(result.hostsFiles, result.records.length) },
  });
  for (const l of summary.trimEnd().split('\n')) log.info(l);
  log.close();
  out('\n' + summary.trimEnd());
  out(`\nResults: ${resultsPath}`);
  if (result.interrupted === 'SIGINT') return ParallelrExit.SIGINT;
  if (result.interrupted) return ParallelrExit.SIGTERM;
  return counts.failed > 0 || counts.cancelled > 0 ? ParallelrExit.FAILED : ParallelrExit.SUCCESS;
}

/** What the host recap covers when some files did not report hosts (a command other than tasker, or spawned). */
function hostsNote(reported: number, files: number): string | undefined {
  return reported < files ? `from the ${reported} of ${files} task files run by the in-process engine; the others report no hosts` : undefined;
}

/** The distributed runner the bin handed in; without one, --nats/--pool/--resume cannot run. */
function distributedRunner(ctx: RunTasksContext): NonNullable<RunContext['runDistributed']> {
  if (ctx.runDistributed === undefined) throw new SetupError('--nats, --pool and --resume need the distributed runner, which the parallelr bin provides; start parallelr through its bin');
  return ctx.runDistributed;
}
