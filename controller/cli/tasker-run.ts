/** The part of `tasker` that checks hosts and binaries, runs the engine and writes every record. */
import { existsSync, rmSync } from 'node:fs';
import { homedir } from 'node:os';
import { join } from 'node:path';
import { findBinary, missingBinaryMessage } from '../../shared/exec/index.js';
import { resolveExecType } from '../../shared/exec/index.js';
import { spawnFallbackWarning } from '../../shared/exec/index.js';
import { ExitCode } from '../../shared/exit-codes.js';
import { escapeControlChars } from '../../shared/text/index.js';
import type { Task } from '../../shared/taskfile/model.js';
import { findPlaceholders, substitute } from '../../shared/taskfile/variables.js';
import { appendSummary, buildJson, copyTaskFile, createLogFile, fileStem, fileTimestamp, writeJsonAtomic } from '../engine/records.js';
import { logTimestamp } from '../engine/run-log.js';
import { flowOrder } from '../engine/plan.js';
import { runWorkflow } from '../engine/run-workflow.js';
import { runBlock } from '../engine/blocks.js';
import type { RunOutcome } from '../engine/types.js';
import { logHostRecap, unreachableHostsOf } from './host-recap-log.js';
import { tallyHosts } from '../engine/host-recap.js';
import { VariableStore } from '../engine/variables.js';
import type { Setup } from './setup.js';
import { createRunExecutors } from './executors.js';
import type { RunExecutors } from './executors.js';

export interface RunMode {
  /** Validation failed in this phase: record it and exit. */
  validationFailed?: string;
  exitCode?: number;
  /** Dry run / plan: only the pre-run checks. */
  preflightOnly?: boolean;
}

/** Whether this process printed the TASKER_LAUNCHER=off warning already. */
let fallbackWarned = false;

export async function executeRun(setup: Setup, mode: RunMode): Promise<number> {
  const { args, io, log, workflow } = setup;
  const startTime = new Date();

  if (mode.validationFailed) {
    return finishWithoutRun(setup, mode.exitCode ?? ExitCode.VALIDATION_FAILED, mode.validationFailed, startTime);
  }
  if (args.showRecoveryInfo) {
    const mod = await import('../recovery/index.js');
    const path = mod.recoveryPath(setup.base, setup.taskFile);
    const loaded = mod.loadRecovery(path, { taskText: setup.text, workflow, env: io.env });
    if ('error' in loaded) io.stdout.write(`${loaded.error}\n`);
    else if (!loaded.state) io.stdout.write(`No recovery state for ${args.taskFile} (looked for ${path})\n`);
    else io.stdout.write(`${mod.formatRecoveryInfo(loaded.state, path)}\n`);
    return ExitCode.SUCCESS;
  }

  const { code: preflight, executors, unreachable } = await runPreflight(setup);
  if (preflight !== ExitCode.SUCCESS || mode.preflightOnly || args.validateOnly) await executors?.close();
  if (preflight !== ExitCode.SUCCESS) return finishWithoutRun(setup, preflight, preflight === ExitCode.HOST_VALIDATION_FAILED ? 'host_validation' : 'command_validation', startTime, unreachable);
  if (mode.preflightOnly) return ExitCode.SUCCESS;
  if (args.validateOnly) {
    log.info(`Validation passed: ${workflow.tasks.size} task(s) in ${args.taskFile}`);
    return ExitCode.SUCCESS;
  }
  const fallback = fallbackWarned ? undefined : spawnFallbackWarning(io.env);
  if (fallback) io.stderr.write(`tasker: warning: ${fallback}\n`);
  fallbackWarned = true; // once per process: parallelr runs many task files in this one
  if (args.showPlan) {
    const { buildPlan, formatPlan } = await import('../engine/plan.js');
    const plan = formatPlan(workflow, buildPlan(workflow, { ...setup, startFrom: args.startFrom, env: io.env }), args.taskFile!);
    io.stdout.write(args.rawOutput ? plan : escapeControlChars(plan));
    if (!args.yes) {
      if (!io.isTTY || !io.readLine) {
        io.stderr.write('tasker: error: --show-plan asks for confirmation, but there is no terminal; add -y to proceed without asking\n');
        return ExitCode.USAGE;
      }
      const answer = (await io.readLine('Proceed with execution? [y/N] ')) ?? '';
      if (!/^y(es)?$/i.test(answer.trim())) {
        io.stdout.write('Execution cancelled.\n');
        return ExitCode.SUCCESS;
      }
    }
  }

  // One instance of this workflow (file + expanded globals) at a time.
  let lock: { release(): void } | undefined;
  if (args.forceInstance && !args.instanceCheck) log.warn('--force-instance has no effect without --instance-check');
  if (args.instanceCheck) {
    const { acquireInstanceLock } = await import('../instance/index.js');
    const got = await acquireInstanceLock({ taskFile: setup.taskFile, taskText: setup.text, globals: workflow.globals, home: io.env['HOME'] || homedir(), project: args.project, force: args.forceInstance });
    if (!got.ok) {
      log.error(got.message);
      return finishWithoutRun(setup, ExitCode.INSTANCE_LOCKED, 'instance_check', startTime);
    }
    if (got.warning) log.warn(got.warning);
    lock = got;
  }
  try {
    return await runLocked(setup, startTime, executors!);
  } finally {
    lock?.release();
    await executors!.close();
  }
}

async function runLocked(setup: Setup, startTime: Date, executors: RunExecutors): Promise<number> {
  const { args, io, log, workflow } = setup;
  // Records: log file and task-file copy.
  const ts = fileTimestamp(startTime);
  let logFile: string | undefined;
  try {
    logFile = createLogFile(setup.base, setup.taskFile, ts);
    log.openFile(logFile);
    if (!args.noTaskBackup) copyTaskFile(setup.base, setup.taskFile, setup.text, ts);
  } catch (e) {
    io.stderr.write(`tasker: error: cannot write logs under ${setup.base}: ${(e as Error).message}; use -l DIR or TASK_EXECUTOR_LOG\n`);
    return 1;
  }
  log.fileOnly(`=== Task Execution Start: ${logTimestamp(startTime)} ===\n# Task file: ${setup.taskFile}\n`);
  log.info(`Running ${args.taskFile} (${workflow.tasks.size} tasks, default exec type ${setup.defaultExecType}, timeout ${setup.defaultTimeoutSec} s)`);

  // Auto-recovery: resume where a failed or killed run stopped, and save the state after every
  // top-level task. Only --auto-recovery does this; --output-json is a report (docs/task-files.md).
  const recovery = args.autoRecovery ? await prepareRecovery(setup) : undefined;
  if (recovery && 'exitCode' in recovery) return finishWithoutRun(setup, recovery.exitCode, 'recovery_validation', startTime);
  if (args.startFrom !== undefined && !recovery?.resume) {
    const first = workflow.ids.find((id) => !workflow.subtaskIds.has(id));
    const before = workflow.ids.filter((id) => id < args.startFrom! && !workflow.subtaskIds.has(id));
    if (first !== undefined && args.startFrom > first && before.length > 0) {
      log.warn(`Tasks ${before.join(', ')} come before task ${args.startFrom} and are not run`);
      log.warn(`Results of tasks before ${args.startFrom} are not available: their @N_...@ variables stay unresolved`);
    }
  }
  let created: string | undefined;
  let lastStore: VariableStore | undefined;
  // The caller closes the executors.
  const outcome: RunOutcome = await runWorkflow({
    workflow, log, runId: ts, startFrom: recovery?.resume ? undefined : args.startFrom, resume: recovery?.resume,
    onCheckpoint: recovery
      ? (next, state) => {
        lastStore = state.store;
        const saved = recovery.mod.stateFromOutcome(state.outcome, state.store, next, { taskFile: setup.taskFile, taskText: setup.text, workflow, logFile, created });
        created ??= saved.created;
        recovery.mod.saveRecovery(recovery.path, saved);
      }
      : undefined,
    defaultExecType: setup.defaultExecType, defaultTimeoutSec: setup.defaultTimeoutSec,
    executorFor: executors.executorFor, placeOf: executors.placeOf, canonicalExecType: setup.canonicalExecType, describeCommand: setup.describeCommand,
    fireAndForget: args.fireAndForget, signal: io.signal, env: io.env, runBlock,
  });
  if (recovery) {
    // Keep the state only when a resume makes sense: an unrouted failure or an interrupt.
    if (outcome.interrupted || outcome.exitCode === ExitCode.TASK_FAILED) {
      // An unrouted failure: a resume retries the failed task (an interrupt's last checkpoint already points at it).
      if (!outcome.interrupted && outcome.failedTask !== undefined && lastStore) {
        recovery.mod.saveRecovery(recovery.path, recovery.mod.stateFromOutcome(outcome, lastStore, outcome.failedTask, { taskFile: setup.taskFile, taskText: setup.text, workflow, logFile, created }));
      }
      log.info(`Recovery state kept in ${recovery.path}; rerun with --auto-recovery to resume at task ${outcome.failedTask ?? outcome.finalTask}`);
    } else recovery.mod.deleteRecovery(recovery.path);
  }
  const spill = [...outcome.results.values()].flatMap((r) => [r.stdoutFile, r.stderrFile]).filter((f): f is string => Boolean(f));
  if (outcome.interrupted) {
    // Also a JSON warning (SPEC §2a): the record says which signal stopped the run and where.
    const where = outcome.finalTask !== undefined ? ` during task ${outcome.finalTask}` : '';
    const message = `Interrupted by ${outcome.interrupted}${where}; the running task's process group was killed`;
    log.error(message);
    log.warnings.push(message);
  }
  log.info(`Workflow ${outcome.status === 'success' ? 'completed successfully' : 'failed'}: exit code ${outcome.exitCode} (${outcome.reason})`);
  logHostRecap(log, tallyHosts(outcome));
  const code = await record(setup, outcome, startTime, logFile, undefined, recovery && existsSync(recovery.path) ? recovery.path : undefined);
  // Spill files of large outputs are temporary: the full streams are in the log file.
  for (const f of spill) rmSync(f, { force: true });
  return code;
}

interface PreparedRecovery {
  path: string;
  mod: typeof import('../recovery/index.js');
  resume?: ReturnType<typeof import('../recovery/index.js').restoreResume>;
}

/** Load a recovery file if there is one and decide whether to resume (refusals exit 12). */
async function prepareRecovery(setup: Setup): Promise<PreparedRecovery | { exitCode: number }> {
  const { args, io, log, workflow } = setup;
  const mod = await import('../recovery/index.js');
  const path = mod.recoveryPath(setup.base, setup.taskFile);
  const loaded = mod.loadRecovery(path, { taskText: setup.text, workflow, env: io.env });
  if ('error' in loaded) {
    log.error(loaded.error);
    return { exitCode: loaded.exitCode };
  }
  if (!loaded.state) return { path, mod };
  for (const w of loaded.warnings) log.warn(w);
  if (loaded.resumeAt === null) {
    mod.deleteRecovery(path);
    return { path, mod };
  }
  if (loaded.envChanges.length > 0) {
    for (const c of loaded.envChanges) log.warn(mod.describeEnvChange(c, loaded.state, workflow.globals));
    if (!args.yes) {
      const answer = io.isTTY && io.readLine ? await io.readLine('Environment changed since the saved run. Continue recovery? [y/N] ') : undefined;
      if (!/^y(es)?$/i.test((answer ?? '').trim())) {
        log.error(`Recovery refused: the environment changed${answer === undefined ? ' and there is no terminal to confirm (add -y)' : ''}`);
        return { exitCode: ExitCode.START_FROM_INVALID };
      }
    }
  }
  const resume = mod.restoreResume(loaded.state, loaded.globals);
  if (resume) log.info(`Resuming ${args.taskFile} at task ${resume.next} from ${path}`);
  return { path, mod, resume };
}

/** Validation failed before anything ran: summary row and JSON still record it. */
async function finishWithoutRun(setup: Setup, exitCode: number, phase: string, startTime: Date, unreachable?: RunOutcome['unreachableHosts']): Promise<number> {
  const outcome: RunOutcome = {
    exitCode, status: 'failed', reason: `${phase} failed`, results: new Map(), executionPath: [], loopIterations: [], skippedTasks: [],
    finalHostname: 'localhost', finalCommand: phase, ...(unreachable?.length ? { unreachableHosts: unreachable } : {}),
  };
  logHostRecap(setup.log, tallyHosts(outcome));
  return record(setup, outcome, startTime, undefined, '-1');
}

async function record(setup: Setup, outcome: RunOutcome, startTime: Date, logFile: string | undefined, finalTaskOverride?: string, stateFile?: string): Promise<number> {
  const { args, io, log } = setup;
  const endTime = new Date();
  if (args.project) {
    try {
      const command = outcome.interrupted ? `${outcome.finalCommand} [INTERRUPTED_${outcome.interrupted}]` : outcome.finalCommand;
      const path = appendSummary(setup.base, args.project, {
        timestamp: endTime.toISOString().replace('T', ' ').slice(0, 19), taskFile: args.taskFile!,
        finalTask: finalTaskOverride ?? String(outcome.finalTask ?? -1), hostname: outcome.finalHostname || 'localhost',
        command: log.secrets.reduce((c, s) => c.split(s).join(`<masked len=${s.length}>`), command),
        exitCode: outcome.exitCode, status: outcome.status === 'success' ? 'SUCCESS' : 'FAILURE', logFile: logFile ?? '-',
      });
      log.fileOnly(`# Project file: ${path}\n`);
    } catch (e) {
      io.stderr.write(`tasker: warning: could not append the project summary: ${(e as Error).message}\n`);
    }
  }
  if (args.outputJson !== undefined) {
    const path = args.outputJson !== '' ? resolvePath(io.cwd, args.outputJson) : join(setup.base, 'output', `${fileStem(setup.taskFile)}_${fileTimestamp(startTime)}.json`);
    try {
      const store = new VariableStore(setup.workflow.globals);
      for (const [key, r] of outcome.results) if (/^\d+$/.test(key)) store.byId.set(Number(key), r);
      writeJsonAtomic(path, buildJson(outcome, {
        taskFile: setup.taskFile, taskText: setup.text, startTime, endTime, logFile, totalTasks: setup.workflow.tasks.size,
        warnings: log.warnings, secrets: log.secrets, variables: store.snapshot(),
      }));
      log.info(`JSON result written to ${path}`);
    } catch (e) {
      io.stderr.write(`tasker: warning: could not write --output-json ${path}: ${(e as Error).message}\n`);
    }
  }
  io.onHostTallies?.(tallyHosts(outcome));
  if (args.alertOnFailure && outcome.exitCode !== 0) await fireAlert(setup, outcome, logFile, stateFile);
  if (logFile) {
    log.info(`Log file: ${logFile}`);
    log.fileOnly(`=== Task Execution End: ${logTimestamp(endTime)} ===\n`);
  }
  log.close();
  return outcome.exitCode;
}

/** --alert-on-failure: run the operator's script with the failure in TASKER_* variables (30 s limit). */
async function fireAlert(setup: Setup, outcome: RunOutcome, logFile: string | undefined, stateFile: string | undefined): Promise<void> {
  const { args, io, log } = setup;
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
  else if (r.exitCode !== 0) log.warn(`Alert script ${prepared.path} exited ${r.exitCode}`);
}

function resolvePath(cwd: string, p: string): string {
  return p.startsWith('/') ? p : join(cwd, p);
}

/** Before anything runs: exec-type binaries on PATH, then host checks for remote exec types. */
async function runPreflight(setup: Setup): Promise<{ code: number; executors?: RunExecutors; unreachable?: RunOutcome['unreachableHosts'] }> {
  const { args, io, log, workflow, registry } = setup;
  const g = (t: string): string => substitute(t, (n) => workflow.globals.get(n));
  const used = new Map<string, Task[]>();
  const topLevel = flowOrder(workflow, args.startFrom);
  const reachable = new Set<number>(topLevel);
  const addAll = (ids: number[] | undefined): void => {
    if (ids) for (const id of ids) reachable.add(id);
  };
  for (const id of topLevel) {
    const t = workflow.tasks.get(id)!;
    addAll(t.tasks);
    addAll(t.ifTrueTasks);
    addAll(t.ifFalseTasks);
  }
  const commandTasks = [...reachable].map((id) => workflow.tasks.get(id)!).filter((t) => t.command && (t.type === 'task' || t.hostnames));
  for (const t of commandTasks) {
    const { name: execName, canonical: known } = setup.taskExecType(t);
    const canonical = known ?? execName;
    const list = used.get(canonical);
    if (list) list.push(t);
    else used.set(canonical, [t]);
  }
  if (!args.skipCommandValidation) {
    let missing = false;
    for (const [name, tasks] of used) {
      const type = resolveExecType(registry, name);
      if (!type) continue;
      if (type.binary && !findBinary(type.binary, io.env['PATH'], io.cwd)) {
        log.error(`${missingBinaryMessage(name, type.binary)} (tasks ${tasks.map((t) => t.id).join(', ')})`);
        missing = true;
      }
      if (name === 'local') {
        const seenCommands = new Set<string>();
        const checked = new Set<string>();
        for (const t of tasks) {
          // The same command text names the same program: look it up once (large files repeat it).
          if (seenCommands.has(t.command)) continue;
          seenCommands.add(t.command);
          const cmd = g(t.command).trim().split(/\s+/)[0]!;
          if (checked.has(cmd)) continue;
          checked.add(cmd);
          // Only a warning: an earlier task may create the program.
          if (findPlaceholders(cmd).length === 0 && !findBinary(cmd, io.env['PATH'], io.cwd)) {
            log.warn(`Task ${t.id}: command '${cmd}' is not on PATH and not a file relative to ${io.cwd}`);
          }
        }
      }
    }
    if (missing) return { code: ExitCode.VALIDATION_FAILED };
  }
  // Agents: every agent the run needs must be configured, reachable, healthy and of a compatible version.
  const { executors, problems } = await createRunExecutors(setup, commandTasks);
  if (problems.length > 0 || executors.agents.size > 0) {
    const { checkAgents } = await import('../agents/index.js');
    const down = await checkAgents([...executors.agents.values()]);
    const agentProblems = [...problems, ...down.map((p) => `agent '${p.agent}': ${p.message}`)];
    if (agentProblems.length > 0) {
      for (const p of agentProblems) log.error(p);
      log.error('Agent validation failed; no task was run');
      return { code: ExitCode.HOST_VALIDATION_FAILED, executors, unreachable: unreachableHostsOf(commandTasks, executors.agentOf, new Set(down.map((p) => p.agent)), g) };
    }
    for (const [name, ex] of executors.agents) log.info(`Agent ${name}: ready (${ex.name})`);
  }
  if (args.skipHostValidation) return { code: ExitCode.SUCCESS, executors };
  const targets: { taskId: number; hostname: string; execType: string }[] = [];
  const onAgents = new Map<string, { hostname: string; execType: string }[]>();
  for (const [name, tasks] of used) {
    const type = resolveExecType(registry, name);
    if (!type?.usesHost) continue;
    for (const t of tasks) {
      const hosts = t.hostnames ?? [g(t.hostname)];
      for (const h of hosts) {
        if (findPlaceholders(h).length > 0) {
          if (!args.skipUnresolvedHostValidation) {
            log.error(`Task ${t.id}: hostname '${h}' depends on a task result and cannot be checked before the run; use --skip-unresolved-host-validation`);
            return { code: ExitCode.VALIDATION_FAILED, executors };
          }
          continue;
        }
        const agent = executors.agentOf.get(t.id);
        if (agent) {
          const list = onAgents.get(agent) ?? [];
          list.push({ hostname: h, execType: type.name });
          onAgents.set(agent, list);
        } else targets.push({ taskId: t.id, hostname: h, execType: type.name });
      }
    }
  }
  // Hosts of tasks sent to an agent are checked from the agent's jumphost.
  let agentHostsOk = true;
  const unreachable: NonNullable<RunOutcome['unreachableHosts']> = [];
  for (const [name, hosts] of onAgents) {
    const unique = [...new Map(hosts.map((h) => [`${h.hostname}|${h.execType}`, h])).values()];
    const results = await executors.agents.get(name)!.checkHosts(unique, args.checkConnectivity);
    for (const r of results) {
      if (!r.ok) {
        agentHostsOk = false;
        if (!unreachable.some((u) => u.host === r.hostname && u.ranOn === `agent:${name}`)) unreachable.push({ host: r.hostname, ranOn: `agent:${name}` });
        log.error(`host ${r.hostname} (via agent ${name}): ${r.problems.join('; ')}`);
      }
    }
  }
  if (!agentHostsOk) {
    log.error('Host validation failed; no task was run (use --skip-host-validation to skip it)');
    return { code: ExitCode.HOST_VALIDATION_FAILED, executors, unreachable };
  }
  if (targets.length === 0) return { code: ExitCode.SUCCESS, executors };
  const { validateHosts, formatHostProblem } = await import('../../shared/hosts/index.js');
  const { hostValidationFromConfig } = await import('../../shared/config/index.js');
  const hv = hostValidationFromConfig(setup.config.data).config;
  const result = await validateHosts(targets, { registry, hostValidation: hv, checkConnectivity: args.checkConnectivity, env: io.env });
  for (const p of result.problems) log.error(formatHostProblem(p));
  if (!result.ok) {
    log.error('Host validation failed; no task was run (use --skip-host-validation to skip it)');
    const ranOn = (execType: string): 'ssh' | 'local' => (execType === 'ssh' ? 'ssh' : 'local');
    for (const host of new Set(result.problems.map((p) => p.hostname))) unreachable.push({ host, ranOn: ranOn(targets.find((t) => t.hostname === host)?.execType ?? '') });
    return { code: ExitCode.HOST_VALIDATION_FAILED, executors, unreachable };
  }
  for (const [host, fqdn] of result.fqdn) if (fqdn !== host) log.info(`Host ${host} resolved to ${fqdn}`);
  return { code: ExitCode.SUCCESS, executors };
}
