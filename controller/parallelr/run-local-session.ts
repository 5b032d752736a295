import { join } from 'node:path';
import { makePrivateDir } from '../../shared/private-files.js';
import { startInputBackup, type InputBackup } from './backup.js';
import { daemonStartedLine } from './daemon.js';
import { ParallelrExit } from './exit-codes.js';
import { formatRunBanner } from './format-run-banner.js';
import type { LocalRunPlan } from './local-run-plan.js';
import { openSession, type OpenSession } from './open-session.js';
import type { ParallelRunResult } from './parallel-run-options.js';
import { runParallel } from './pool.js';
import { createProgressReporter } from './progress.js';
import { countRecords, formatSummary } from './summary.js';

type Workspace = { dir: string; isolated: boolean };

/** Runs the plan's tasks in this process: session files, banner, optional input backup, the pool, the summary. */
export async function runLocalSession(plan: LocalRunPlan): Promise<number> {
  const { opts, io, ctx, config, out } = plan;
  if (plan.isDaemonChild) out(daemonStartedLine(ctx.pid));
  const workspace: Workspace = { dir: plan.dirs.workspace, isolated: config.execution.workspace_isolation };
  // Tasks' shared working directory: what they leave there may hold secrets, as their logs do.
  makePrivateDir(workspace.dir);
  const session = openSession(plan);
  const { log, results, taskOutput, registry, entry, updateEntry } = session;

  const banner = formatRunBanner(plan, session, workspace);
  const backup = opts.backup ? startBackup(plan, session) : undefined;
  if (backup) banner.splice(banner.length - 1, 0, `Input backup: ${backup.dir}`);
  out(banner.join('\n'));
  for (const l of banner.slice(1, -1)) log.info(l);
  if (opts.wait !== undefined) log.debug(`-w ${opts.wait}: accepted; completions are event driven, there is no polling`);
  if (!config.execution.use_process_groups) log.warn('execution.use_process_groups: false is ignored: every task runs in its own process group so a timeout can kill all of it');

  const markStopping = () => {
    entry.status = 'stopping';
    updateEntry();
  };
  io.signal?.addEventListener('abort', markStopping, { once: true });
  let lastRegistryWrite = 0;
  const progress = createProgressReporter({ total: plan.entries.length, tty: io.isTTY && !plan.isDaemonChild, stdout: io.stdout, stderr: io.stderr, quiet: opts.quiet });
  let result: ParallelRunResult;
  try {
    result = await runParallel(
      {
        sessionId: session.sessionId,
        entries: plan.entries,
        template: plan.template,
        maxWorkers: plan.maxWorkers,
        timeoutSeconds: plan.timeoutSeconds,
        startDelaySeconds: plan.startDelaySeconds,
        killGraceMs: config.execution.kill_grace_seconds * 1000,
        stopLimits: plan.stopLimits,
        workspace,
        pid: ctx.pid,
        maxArgumentLength: config.security.max_argument_length,
        maxOutputCapture: config.limits.max_output_capture,
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
            updateEntry();
          }
        },
      },
      { ...io, env: plan.env },
    );
  } finally {
    // A stopped run leaves files it never started; their copies finish all the same.
    await backup?.finished;
    results.close();
    taskOutput?.close();
    io.signal?.removeEventListener('abort', markStopping);
    registry.remove(ctx.pid);
  }
  return reportOutcome(plan, session, workspace, result);
}

/** Starts copying the run's input files, or warns and runs without a backup. */
function startBackup(plan: LocalRunPlan, session: OpenSession): InputBackup | undefined {
  const { dirs, io, ctx, entries, err } = plan;
  const { sessionId } = session;
  const b = startInputBackup({
    dir: join(dirs.backups, `parallelr_${sessionId}`),
    taskFiles: entries.flatMap((e) => (e.taskPath ? [e.taskPath] : [])),
    argumentsFile: plan.argumentsPath,
    session: { session_id: sessionId, pid: ctx.pid, start_time: session.entry.start_time, cwd: io.cwd, argv: ctx.argv, command_template: plan.template.text, tasks: entries.length, results: session.resultsPath },
    onWarning: session.warn,
  });
  if ('warning' in b) {
    err(`parallelr: warning: ${b.warning}`);
    return undefined;
  }
  return b;
}

/** Logs and prints the summary; the exit code for how the run ended. */
function reportOutcome(plan: LocalRunPlan, session: OpenSession, workspace: Workspace, result: ParallelRunResult): number {
  const { log } = session;
  const counts = countRecords(result.records);
  log.info(`Execution completed: total ${counts.total}, succeeded ${counts.succeeded}, failed ${counts.failed}, cancelled ${counts.cancelled}`);
  const summary = formatSummary({
    records: result.records,
    workers: plan.maxWorkers,
    pid: plan.ctx.pid,
    workspace,
    logDir: plan.dirs.logs,
    stopLimits: { enabled: plan.stopLimits !== null, description: plan.stopDescription, tripped: result.stopReason },
    files: { mainLog: session.mainLogPath, results: session.resultsPath, output: session.taskOutput?.path ?? null },
    interrupted: result.interrupted,
    elapsedSeconds: result.elapsedSeconds,
    hosts: { tallies: result.hosts, note: hostsNote(result.hostsFiles, result.records.length) },
  });
  for (const l of summary.trimEnd().split('\n')) log.info(l);
  log.close();
  plan.out('\n' + summary.trimEnd());
  plan.out(`\nResults: ${session.resultsPath}`);
  if (result.interrupted === 'SIGINT') return ParallelrExit.SIGINT;
  if (result.interrupted) return ParallelrExit.SIGTERM;
  return counts.failed > 0 || counts.cancelled > 0 ? ParallelrExit.FAILED : ParallelrExit.SUCCESS;
}

/** What the host recap covers when some files did not report hosts (a command other than tasker, or spawned). */
function hostsNote(reported: number, files: number): string | undefined {
  return reported < files ? `from the ${reported} of ${files} task files run by the in-process engine; the others report no hosts` : undefined;
}
