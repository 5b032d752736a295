/**
 * Stage 5, record: the project summary row, the --output-json document, the host tallies for
 * parallelr, the alert script on failure, and the end of the log file. Returns the run's exit code.
 */
import { join } from 'node:path';
import { ExitCode } from '../../shared/exit-codes.js';
import { appendSummary, buildJson, fileStem, fileTimestamp, formatJson, writeJsonAtomic, type WrittenSummaryRow } from '../engine/records.js';
import type { RunResult } from '../engine/run-result.js';
import { logTimestamp } from '../engine/run-log.js';
import { tallyHosts } from '../engine/host-recap.js';
import type { RunOutcome } from '../engine/types.js';
import { VariableStore } from '../engine/variables.js';
import { logHostRecap } from './host-recap-log.js';
import type { ExecutedRun, ValidatedRun } from './types.js';

export async function recordRun(run: ValidatedRun, executed: ExecutedRun, finalTaskOverride?: string): Promise<number> {
  const { args, io, log } = run;
  const { outcome, logFile } = executed;
  const endTime = new Date();
  // Write what the run logged, so a log lost to a full disk is among the warnings the JSON records.
  log.flush();
  const row = args.project ? appendProjectRow(run, outcome, endTime, logFile, finalTaskOverride) : undefined;
  const json = jsonOf(run, executed, endTime, row?.path);
  // A recovery file is only looked for with --auto-recovery (recoveryFileOf).
  const { recoveryFile } = run;
  const made = { ...(logFile ? { logFile } : {}), summaryRows: row ? [row] : [], resultJson: () => formatJson(json()), ...(recoveryFile ? { recoveryFile } : {}) };
  const taken = run.onRecords?.(made) === true;
  if (args.outputJson !== undefined) writeOutputJson(run, executed.startTime, json, taken);
  io.onHostTallies?.(tallyHosts(outcome));
  if (args.alertOnFailure && outcome.exitCode !== ExitCode.SUCCESS) await fireAlert(run, outcome, logFile, executed.stateFile);
  if (logFile) {
    log.info(`Log file: ${logFile}`);
    log.fileOnly(`=== Task Execution End: ${logTimestamp(endTime)} ===\n`);
  }
  log.close();
  return outcome.exitCode;
}

/** Validation failed before anything ran: the summary row and the JSON still record it. */
export function recordWithoutRun(run: ValidatedRun, exitCode: number, phase: string, startTime: Date, unreachable?: RunOutcome['unreachableHosts']): Promise<number> {
  const outcome: RunOutcome = {
    exitCode, status: 'failed', reason: `${phase} failed`, results: new Map(), executionPath: [], loopIterations: [], skippedTasks: [],
    finalHostname: 'localhost', finalCommand: phase, ...(unreachable?.length ? { unreachableHosts: unreachable } : {}),
  };
  logHostRecap(run.log, tallyHosts(outcome));
  return recordRun(run, { outcome, startTime }, '-1');
}

function appendProjectRow(
  run: ValidatedRun, outcome: RunOutcome, endTime: Date, logFile: string | undefined, finalTaskOverride: string | undefined,
): WrittenSummaryRow | undefined {
  const { args, io, log } = run;
  try {
    const command = outcome.interrupted ? `${outcome.finalCommand} [INTERRUPTED_${outcome.interrupted}]` : outcome.finalCommand;
    const written = appendSummary(run.base, args.project!, {
      timestamp: endTime.toISOString().replace('T', ' ').slice(0, 19), taskFile: args.taskFile!,
      finalTask: finalTaskOverride ?? String(outcome.finalTask ?? -1), hostname: outcome.finalHostname || 'localhost',
      command: log.secrets.reduce((c, s) => c.split(s).join(`<masked len=${s.length}>`), command),
      exitCode: outcome.exitCode, status: outcome.status === 'success' ? 'SUCCESS' : 'FAILURE', logFile: logFile ?? '-',
    });
    log.fileOnly(`# Project file: ${written.path}\n`);
    return written;
  } catch (e) {
    io.stderr.write(`tasker: warning: could not append the project summary: ${(e as Error).message}\n`);
    return undefined;
  }
}

/** The run's JSON document, built on the first call (a caller of onRecords may never need it). */
function jsonOf(run: ValidatedRun, executed: ExecutedRun, endTime: Date, summaryFile: string | undefined): () => RunResult {
  const { outcome, startTime } = executed;
  // What the document holds as of now: the alert stage may warn after it.
  const warnings = [...run.log.warnings];
  const secrets = [...run.log.secrets];
  let built: RunResult | undefined;
  return () => {
    if (built) return built;
    // The engine keeps its variable store to itself: rebuild the task results' variables from the outcome.
    const store = new VariableStore(run.workflow.globals);
    for (const [key, r] of outcome.results) if (/^\d+$/.test(key)) store.byId.set(Number(key), r);
    built = buildJson(outcome, {
      taskFile: run.taskFile, taskText: run.text, startTime, endTime, logFile: executed.logFile, summaryFile, recoveryFile: run.recoveryFile,
      totalTasks: run.workflow.tasks.size,
      warnings, secrets, variables: store.snapshot(),
    });
    return built;
  };
}

/** `taken`: the caller took the document (RunOptions.onRecords): no file, the log line as for one. */
function writeOutputJson(run: ValidatedRun, startTime: Date, json: () => RunResult, taken: boolean): void {
  const { args, io, log } = run;
  const path = args.outputJson !== '' ? resolvePath(io.cwd, args.outputJson!) : join(run.base, 'output', `${fileStem(run.taskFile)}_${fileTimestamp(startTime)}.json`);
  if (taken) {
    log.info(`JSON result written to ${path}`);
    return;
  }
  try {
    writeJsonAtomic(path, json());
    log.info(`JSON result written to ${path}`);
  } catch (e) {
    io.stderr.write(`tasker: warning: could not write --output-json ${path}: ${(e as Error).message}\n`);
  }
}

/** --alert-on-failure: run the operator's script with the failure in TASKER_* variables (30 s limit). */
async function fireAlert(run: ValidatedRun, outcome: RunOutcome, logFile: string | undefined, stateFile: string | undefined): Promise<void> {
  const { args, io, log } = run;
  const { prepareAlert, runAlert } = await import('../alert/index.js');
  const prepared = prepareAlert(args.alertOnFailure!, io.cwd);
  if (!prepared.ok) {
    log.warn(prepared.warning);
    return;
  }
  if (!args.run && !args.validateOnly && outcome.exitCode !== ExitCode.VALIDATION_FAILED) {
    log.info(`Dry run: the alert script ${prepared.path} would run now`);
    return;
  }
  log.info(`Running alert script ${prepared.path} (exit code ${outcome.exitCode})`);
  const r = await runAlert(prepared.path, {
    exitCode: outcome.exitCode, error: outcome.reason, failedTask: outcome.failedTask ?? outcome.finalTask, taskFile: args.taskFile!,
    logFile, stateFile, timestamp: new Date(),
  }, io.env);
  if (r.timedOut) log.warn(`Alert script ${prepared.path} timed out and was killed`);
  else if (r.exitCode !== ExitCode.SUCCESS) log.warn(`Alert script ${prepared.path} exited ${r.exitCode}`);
}

function resolvePath(cwd: string, p: string): string {
  return p.startsWith('/') ? p : join(cwd, p);
}
