import { existsSync } from 'node:fs';
import { resolve } from 'node:path';
import type { LocalRunPlan } from './local-run-plan.js';
import { openMainLog, runWarning, type LogLevel, type MainLog } from './main-log.js';
import { sessionFiles } from './paths.js';
import { entryWriter, processStartTime, WorkerRegistry, type WorkerEntry } from './registry.js';
import { openResultsWriter, type ResultsWriter } from './results-writer.js';
import { openTaskOutputWriter, type TaskOutputWriter } from './task-output.js';
import { SetupError } from '../../shared/errors/index.js';
import { firstLineOf } from '../../shared/text/index.js';

/** A run's session: its id, its open files, and its entry in the worker registry. */
export interface OpenSession {
  sessionId: string;
  mainLogPath: string;
  resultsPath: string;
  log: MainLog;
  results: ResultsWriter;
  taskOutput: TaskOutputWriter | null;
  registry: WorkerRegistry;
  entry: WorkerEntry;
  /** Write `entry` as it is now; a failure is said once and the run goes on. */
  updateEntry: () => void;
  /** A warning of the run, on stderr and in the main log (main-log.ts, `runWarning`). */
  warn: (message: string) => void;
}

/** Picks a free session id, opens the main log, results and task output files, and registers the run. */
export function openSession(plan: LocalRunPlan): OpenSession {
  const { opts, dirs, io, ctx, config, template, envNames } = plan;
  let sessionId = `${ctx.pid}_${plan.stamp}`;
  let files = sessionFiles(dirs.logs, ctx.pid, plan.stamp);
  for (let n = 2; existsSync(files.mainLog) || existsSync(files.results); n++) {
    sessionId = `${ctx.pid}_${plan.stamp}_${n}`;
    files = sessionFiles(dirs.logs, ctx.pid, `${plan.stamp}_${n}`);
  }
  const resultsPath = opts.results ? resolve(io.cwd, opts.results) : files.results;
  const outputOn = opts.taskOutputLog ?? config.logging.task_output_log;
  const level: LogLevel = opts.debug ? 'DEBUG' : (config.logging.level as LogLevel);
  // A record that can no longer be written (a full disk) is said on stderr and in the main log while it lasts.
  const warn = runWarning(plan.err, () => log);
  const log: MainLog = opening(`the main log ${files.mainLog}`, 'set PARALLELR_HOME to a directory you can write', () => openMainLog(files.mainLog, {
    level,
    pid: ctx.pid,
    maxBytes: config.logging.max_log_size_mb * 1024 * 1024,
    backups: config.logging.backup_count,
    onLost: warn,
  }));
  const results = opening(`the results file ${resultsPath}`, 'choose another with --results FILE', () => openResultsWriter(resultsPath, warn));
  const parameters = [`-C (Command template): ${template.text}`];
  if (opts.tasksPaths.length) parameters.push(`-T (Task paths): ${opts.tasksPaths.join(' ')}`);
  if (opts.argumentsFile) parameters.push(`-A (Arguments file): ${opts.argumentsFile}`);
  if (envNames.length) parameters.push(`-E (Environment variables): ${envNames.join(',')}`);
  const taskOutput = outputOn ? opening(`the task output file ${files.output}`, 'set PARALLELR_HOME to a directory you can write', () => openTaskOutputWriter(files.output, parameters, config.limits.max_output_capture, warn)) : null;

  const registry = new WorkerRegistry(dirs.pids);
  const entry: WorkerEntry = {
    pid: ctx.pid,
    proc_start: processStartTime(ctx.pid),
    session_id: sessionId,
    status: 'running',
    daemon: plan.isDaemonChild,
    start_time: new Date().toISOString(),
    cwd: io.cwd,
    command_template: template.text,
    total: plan.entries.length,
    done: 0,
    failed: 0,
    main_log: files.mainLog,
    results: resultsPath,
    updated: '',
  };
  registry.list(); // removes stale entries
  const updateEntry = entryWriter(registry, entry, warn);
  updateEntry();
  return { sessionId, mainLogPath: files.mainLog, resultsPath, log, results, taskOutput, registry, entry, updateEntry, warn };
}

/** Open one of the run's files before any task starts; one that cannot be opened stops the run with a line naming it and what to do. */
function opening<T>(what: string, fix: string, open: () => T): T {
  try {
    return open();
  } catch (e) {
    throw new SetupError(`cannot open ${what} (${firstLineOf(e)}): ${fix}; nothing was run`);
  }
}
