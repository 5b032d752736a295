/**
 * One `tasker` run as a typed pipeline: request → load → validate → preflight → execute → record
 * (docs/architecture.md). `runTaskerWith(argv, io, options)` returns the exit code; the bin passes
 * the real process, tests and parallelr in-process pass their own io. `options.remote` places tasks
 * on agents and SSH (the controller's runTasker gives it; without it every task runs on this
 * machine: remote-placement.ts). No process-global state but the once-per-process launcher warning.
 */
import { rmSync } from 'node:fs';
import type { CliIo } from '../../shared/cli-io.js';
import { spawnFallbackWarning } from '../../shared/exec/index.js';
import { ExitCode } from '../../shared/exit-codes.js';
import type { RunLog } from '../engine/run-log.js';
import { acquireRunLock, executeRun, spillFilesOf } from './execute.js';
import { loadRun } from './load.js';
import { printGraph, printPlan } from './plan.js';
import { preflightRun } from './preflight.js';
import { recordRun, recordWithoutRun } from './record.js';
import { showRecoveryInfo } from './recovery.js';
import { parseRunRequest } from './request.js';
import type { RunOptions } from './remote-placement.js';
import type { PreparedRun } from './types.js';
import { validateRun } from './validate.js';

/** Whether this process printed the TASKER_LAUNCHER=off warning already (parallelr runs many files in one). */
let fallbackWarned = false;

export async function runTaskerWith(argv: readonly string[], io: CliIo, options: RunOptions): Promise<number> {
  // The run log writes its lines at the end of an event-loop turn; the caller (the bin, or
  // parallelr in-process, which reads the output as soon as this resolves) must see them all.
  const made: { log?: RunLog } = {};
  try {
    return await runStages(argv, io, options, made);
  } finally {
    made.log?.flush();
  }
}

async function runStages(argv: readonly string[], rawIo: CliIo, options: RunOptions, made: { log?: RunLog }): Promise<number> {
  const request = parseRunRequest(argv, rawIo);
  if ('exitCode' in request) return request.exitCode;
  const loaded = loadRun(request, rawIo, made);
  if ('exitCode' in loaded) return loaded.exitCode;
  const validated = await validateRun(loaded, options);
  if ('exitCode' in validated) return validated.exitCode;
  const { run, failure } = validated;
  const { args, log } = run;
  const startTime = new Date();
  if (failure) return recordWithoutRun(run, failure.exitCode, failure.phase, startTime);
  if (args.graph) return printGraph(run, args.graph);
  if (args.showRecoveryInfo) return showRecoveryInfo(run);

  const prepared = await preflightRun(run, options);
  if (!('run' in prepared)) {
    await prepared.executors?.close();
    if (prepared.handedBack) return prepared.exitCode;
    const phase = prepared.exitCode === ExitCode.HOST_VALIDATION_FAILED ? 'host_validation' : 'command_validation';
    return recordWithoutRun(run, prepared.exitCode, phase, startTime, prepared.unreachable);
  }
  if (!args.run || args.validateOnly) {
    await prepared.executors.close();
    if (args.validateOnly) log.info(`Validation passed: ${run.workflow.tasks.size} task(s) in ${args.taskFile}`);
    else printPlan(run);
    return ExitCode.SUCCESS;
  }
  try {
    return await runPrepared(prepared, startTime);
  } finally {
    await prepared.executors.close();
  }
}

/** The run itself: the launcher warning, --show-plan's confirmation, the instance lock, the engine, the records. */
async function runPrepared(prepared: PreparedRun, startTime: Date): Promise<number> {
  const { run } = prepared;
  const { args, io } = run;
  const fallback = fallbackWarned ? undefined : spawnFallbackWarning(io.env);
  if (fallback) io.stderr.write(`tasker: warning: ${fallback}\n`);
  fallbackWarned = true;
  if (args.showPlan) {
    printPlan(run);
    const refused = await confirmPlan(run.io, args.yes);
    if (refused !== undefined) return refused;
  }
  const lock = await acquireRunLock(run);
  if (lock && 'phase' in lock) return recordWithoutRun(run, lock.exitCode, lock.phase, startTime);
  let spill: string[] = [];
  try {
    const executed = await executeRun(prepared, startTime);
    if ('phase' in executed) return await recordWithoutRun(run, executed.exitCode, executed.phase, startTime);
    if (!('outcome' in executed)) return executed.exitCode;
    spill = spillFilesOf(executed.outcome);
    return await recordRun(run, executed);
  } finally {
    for (const f of spill) rmSync(f, { force: true });
    lock?.release();
  }
}

/** --show-plan without -y: ask on the terminal; the exit code when the run does not go ahead. */
async function confirmPlan(io: CliIo, yes: boolean): Promise<number | undefined> {
  if (yes) return undefined;
  if (!io.isTTY || !io.readLine) {
    io.stderr.write('tasker: error: --show-plan asks for confirmation, but there is no terminal; add -y to proceed without asking\n');
    return ExitCode.USAGE;
  }
  const answer = (await io.readLine('Proceed with execution? [y/N] ')) ?? '';
  if (/^y(es)?$/i.test(answer.trim())) return undefined;
  io.stdout.write('Execution cancelled.\n');
  return ExitCode.SUCCESS;
}
