/**
 * Stage 4, execute: open the log file and copy the task file, load recovery state, run the engine
 * with the prepared executors, and keep or drop the recovery state by how the run ended.
 */
import { existsSync } from 'node:fs';
import { homedir } from 'node:os';
import { firstLineOf } from '../../shared/text/index.js';
import { ExitCode } from '../../shared/exit-codes.js';
import { copyTaskFile, createLogFile, fileTimestamp } from '../engine/records.js';
import { logTimestamp } from '../engine/run-log.js';
import { runWorkflow } from '../engine/run-workflow.js';
import { runBlock } from '../engine/blocks.js';
import { tallyHosts } from '../engine/host-recap.js';
import type { RunOutcome } from '../engine/types.js';
import type { VariableStore } from '../engine/variables.js';
import { logHostRecap } from './host-recap-log.js';
import { prepareRecovery, type PreparedRecovery } from './recovery.js';
import type { ExecutedRun, PreparedRun, RunExit, ValidatedRun, ValidationFailure } from './types.js';

/** One instance of this workflow (file + expanded globals) at a time, with --instance-check. */
export async function acquireRunLock(run: ValidatedRun): Promise<{ release(): void } | undefined | ValidationFailure> {
  const { args, io, log, workflow } = run;
  if (args.forceInstance && !args.instanceCheck) log.warn('--force-instance has no effect without --instance-check');
  if (!args.instanceCheck) return undefined;
  const { acquireInstanceLock } = await import('../instance/index.js');
  const got = await acquireInstanceLock({ taskFile: run.taskFile, taskText: run.text, globals: workflow.globals, home: io.env['HOME'] || homedir(), project: args.project, force: args.forceInstance });
  if (!got.ok) {
    log.error(got.message);
    return { phase: 'instance_check', exitCode: ExitCode.INSTANCE_LOCKED };
  }
  if (got.warning) log.warn(got.warning);
  return got;
}

export async function executeRun(prepared: PreparedRun, startTime: Date): Promise<ExecutedRun | RunExit | ValidationFailure> {
  const { run, executors } = prepared;
  const { args, io, log, workflow } = run;
  const ts = fileTimestamp(startTime);
  let logFile: string | undefined;
  try {
    logFile = createLogFile(run.base, run.taskFile, ts);
    log.openFile(logFile);
    if (!args.noTaskBackup) copyTaskFile(run.base, run.taskFile, run.text, ts);
  } catch (e) {
    io.stderr.write(`tasker: error: cannot write logs under ${run.base}: ${(e as Error).message}; use -l DIR or TASK_EXECUTOR_LOG\n`);
    return { exitCode: ExitCode.ERROR };
  }
  log.fileOnly(`=== Task Execution Start: ${logTimestamp(startTime)} ===\n# Task file: ${run.taskFile}\n`);
  log.info(`Running ${args.taskFile} (${workflow.tasks.size} tasks, default exec type ${run.execTypes.defaultName}, timeout ${run.defaultTimeoutSec} s)`);

  // Auto-recovery: resume where a failed or killed run stopped, and save the state after every
  // top-level task. Only --auto-recovery does this; --output-json is a report (docs/task-files.md).
  const recovery = args.autoRecovery ? await prepareRecovery(run) : undefined;
  if (recovery && 'exitCode' in recovery) return { phase: 'recovery_validation', exitCode: recovery.exitCode };
  if (args.startFrom !== undefined && !recovery?.resume) warnSkippedBeforeStart(run, args.startFrom);
  const saved = { created: undefined as string | undefined, lastStore: undefined as VariableStore | undefined };
  const stateOf = (outcome: RunOutcome, store: VariableStore, next: number | undefined) =>
    recovery!.mod.stateFromOutcome(outcome, store, next, { taskFile: run.taskFile, taskText: run.text, workflow, logFile, created: saved.created });
  const outcome = await runWorkflow({
    workflow, log, runId: ts, startFrom: recovery?.resume ? undefined : args.startFrom, resume: recovery?.resume,
    onCheckpoint: recovery
      ? (next, state) => {
        saved.lastStore = state.store;
        const state_ = stateOf(state.outcome, state.store, next);
        saved.created ??= state_.created;
        saveOrWarn(run, recovery, state_);
      }
      : undefined,
    defaultExecType: run.execTypes.defaultName, defaultTimeoutSec: run.defaultTimeoutSec,
    executorFor: executors.executorFor, placeOf: executors.placeOf, canonicalExecType: run.execTypes.canonical, describeCommand: run.execTypes.describeCommand,
    fireAndForget: args.fireAndForget, signal: io.signal, env: io.env, runBlock, hostTarget: run.hostTarget,
    explain: { show: args.explain ? 'info' : 'debug', keep: args.outputJson !== undefined },
  });
  if (recovery) keepOrDropRecovery(run, recovery, outcome, () => saved.lastStore && stateOf(outcome, saved.lastStore, outcome.failedTask));
  if (outcome.interrupted) {
    // Also a JSON warning (SPEC §2a): the record says which signal stopped the run and where.
    const where = outcome.finalTask !== undefined ? ` during task ${outcome.finalTask}` : '';
    const message = `Interrupted by ${outcome.interrupted}${where}; the running task's process group was killed`;
    log.errorRecorded(message);
  }
  log.info(`Workflow ${outcome.status === 'success' ? 'completed successfully' : 'failed'}: exit code ${outcome.exitCode} (${outcome.reason})`);
  logHostRecap(log, tallyHosts(outcome));
  return { outcome, startTime, logFile, stateFile: recovery && existsSync(recovery.path) ? recovery.path : undefined };
}

/** The temporary spill files of large outputs (the full streams are in the log file). */
export function spillFilesOf(outcome: RunOutcome): string[] {
  return [...outcome.results.values()].flatMap((r) => [r.stdoutFile, r.stderrFile]).filter((f): f is string => Boolean(f));
}

function warnSkippedBeforeStart(run: ValidatedRun, startFrom: number): void {
  const { workflow, log } = run;
  const first = workflow.ids.find((id) => !workflow.subtaskIds.has(id));
  const before = workflow.ids.filter((id) => id < startFrom && !workflow.subtaskIds.has(id));
  if (first !== undefined && startFrom > first && before.length > 0) {
    log.warn(`Tasks ${before.join(', ')} come before task ${startFrom} and are not run`);
    log.warn(`Results of tasks before ${startFrom} are not available: their @N_...@ variables stay unresolved`);
  }
}

/**
 * Save the recovery state; one that cannot be saved (a full disk) does not end the run: it is
 * said once, and a resume would start from the last state saved (shared/record-file.ts).
 */
function saveOrWarn(run: ValidatedRun, recovery: PreparedRecovery, state: ReturnType<PreparedRecovery['mod']['stateFromOutcome']>): void {
  try {
    recovery.mod.saveRecovery(recovery.path, state, { ownDir: run.args.recoveryFile === undefined });
  } catch (e) {
    if (recovery.saveFailed) return;
    recovery.saveFailed = true;
    run.log.warn(`Cannot save the recovery state ${recovery.path} (${firstLineOf(e)}): --auto-recovery would resume from the last state saved; the run carries on`);
  }
}

/** Keep the state only when a resume makes sense: an unrouted failure or an interrupt. */
function keepOrDropRecovery(run: ValidatedRun, recovery: PreparedRecovery, outcome: RunOutcome, failedState: () => ReturnType<PreparedRecovery['mod']['stateFromOutcome']> | undefined): void {
  if (!outcome.interrupted && outcome.exitCode !== ExitCode.TASK_FAILED) {
    recovery.mod.deleteRecovery(recovery.path);
    return;
  }
  // An unrouted failure: a resume retries the failed task (an interrupt's last checkpoint already points at it).
  if (!outcome.interrupted && outcome.failedTask !== undefined) {
    const state = failedState();
    if (state) saveOrWarn(run, recovery, state);
  }
  run.log.info(`Recovery state kept in ${recovery.path}; rerun with --auto-recovery to resume at task ${outcome.failedTask ?? outcome.finalTask}`);
}
