/**
 * Stage 3, preflight: before anything runs, the exec types' binaries on PATH, the agents the run
 * needs (configured, reachable, healthy), then the hosts of remote exec types.
 */
import { findBinary, missingBinaryMessage } from '../../shared/exec/index.js';
import { ExitCode } from '../../shared/exit-codes.js';
import type { Task } from '../../shared/taskfile/model.js';
import { findPlaceholders, substitute } from '../../shared/taskfile/variables.js';
import type { RunOutcome } from '../engine/types.js';
import { unreachableHostsOf } from './host-recap-log.js';
import { placeLocally } from './local-placement.js';
import type { RunExecutors, RunOptions } from './remote-placement.js';
import { describeRemoteNeed, NO_REMOTE_PLACEMENT, reachableCommandTasks, remoteNeedsOf } from './remote-needs.js';
import type { PreflightFailure, PreparedRun, ValidatedRun } from './types.js';

type Unreachable = NonNullable<RunOutcome['unreachableHosts']>;

export async function preflightRun(run: ValidatedRun, options: RunOptions): Promise<PreparedRun | PreflightFailure> {
  const { args, log, workflow } = run;
  const g = (t: string): string => substitute(t, (n) => workflow.globals.get(n));
  const commandTasks = reachableCommandTasks(run);
  const setup = { ...run, taskExecType: run.execTypes.ofTask };
  if (!options.remote) {
    const needs = remoteNeedsOf(setup, commandTasks);
    if (needs.length > 0 && options.onRemoteNeeds) {
      options.onRemoteNeeds(needs);
      return { exitCode: ExitCode.VALIDATION_FAILED, handedBack: true };
    }
    for (const need of needs) log.error(`${describeRemoteNeed(need)}: ${NO_REMOTE_PLACEMENT}`);
    if (needs.length > 0) {
      log.error('Validation failed; no task was run');
      return { exitCode: ExitCode.VALIDATION_FAILED };
    }
  }
  const used = new Map<string, Task[]>();
  for (const t of commandTasks) {
    const { name, canonical } = run.execTypes.ofTask(t);
    const list = used.get(canonical ?? name);
    if (list) list.push(t);
    else used.set(canonical ?? name, [t]);
  }
  if (!args.skipCommandValidation && !checkBinaries(run, used)) return { exitCode: ExitCode.VALIDATION_FAILED };
  // Agents: every agent the run needs must be configured, reachable, healthy and of a compatible version.
  const { executors, problems, checkAgents } = options.remote ? await options.remote.placeTasks(setup, commandTasks) : placeLocally(setup);
  if (problems.length > 0 || executors.agents.size > 0) {
    const down = await checkAgents();
    const agentProblems = [...problems, ...down.map((p) => `agent '${p.agent}': ${p.message}`)];
    if (agentProblems.length > 0) {
      for (const p of agentProblems) log.error(p);
      log.error('Agent validation failed; no task was run');
      return { exitCode: ExitCode.HOST_VALIDATION_FAILED, executors, unreachable: unreachableHostsOf(commandTasks, executors.agentOf, new Set(down.map((p) => p.agent)), g) };
    }
    for (const [name, ex] of executors.agents) log.info(`Agent ${name}: ready (${ex.name})`);
  }
  if (args.skipHostValidation) return { run, executors };
  const failure = await checkHosts(run, used, executors, g);
  return failure ?? { run, executors };
}

/** Each used exec type's binary must be on PATH; a local command not found is only a warning. */
function checkBinaries(run: ValidatedRun, used: Map<string, Task[]>): boolean {
  const { io, log, workflow } = run;
  const g = (t: string): string => substitute(t, (n) => workflow.globals.get(n));
  let ok = true;
  for (const [name, tasks] of used) {
    const type = run.execTypes.type(name);
    if (!type) continue;
    if (type.binary && !findBinary(type.binary, io.env['PATH'], io.cwd)) {
      log.error(`${missingBinaryMessage(name, type.binary)} (tasks ${tasks.map((t) => t.id).join(', ')})`);
      ok = false;
    }
    if (name !== 'local') continue;
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
  return ok;
}

/** Hosts of remote exec types: from each agent's jumphost for tasks sent to an agent, else from here. */
async function checkHosts(run: ValidatedRun, used: Map<string, Task[]>, executors: RunExecutors, g: (t: string) => string): Promise<PreflightFailure | undefined> {
  const { args, io, log } = run;
  const targets: { taskId: number; hostname: string; execType: string; address?: string }[] = [];
  const onAgents = new Map<string, { hostname: string; execType: string }[]>();
  /** The names (inventory hosts) behind each address an agent checks. */
  const namesAt = new Map<string, Set<string>>();
  for (const [name, tasks] of used) {
    const type = run.execTypes.type(name);
    if (!type?.usesHost) continue;
    for (const t of tasks) {
      for (const h of t.hostnames ?? [g(t.hostname)]) {
        if (findPlaceholders(h).length > 0) {
          if (!args.skipUnresolvedHostValidation) {
            log.error(`Task ${t.id}: hostname '${h}' depends on a task result and cannot be checked before the run; use --skip-unresolved-host-validation`);
            return { exitCode: ExitCode.VALIDATION_FAILED, executors };
          }
          continue;
        }
        // An inventory host is checked at its ansible_host.
        const address = run.hostAddress?.(h) ?? h;
        const agent = executors.agentOf.get(t.id);
        if (agent) {
          onAgents.set(agent, [...(onAgents.get(agent) ?? []), { hostname: address, execType: type.name }]);
          namesAt.set(address, (namesAt.get(address) ?? new Set()).add(h));
        } else targets.push({ taskId: t.id, hostname: h, execType: type.name, ...(address !== h ? { address } : {}) });
      }
    }
  }
  const unreachable: Unreachable = [];
  for (const [name, hosts] of onAgents) {
    const unique = [...new Map(hosts.map((h) => [`${h.hostname}|${h.execType}`, h])).values()];
    for (const r of await executors.agents.get(name)!.checkHosts(unique, args.checkConnectivity)) {
      if (r.ok) continue;
      for (const host of namesAt.get(r.hostname) ?? [r.hostname]) {
        if (!unreachable.some((u) => u.host === host && u.ranOn === `agent:${name}`)) unreachable.push({ host, ranOn: `agent:${name}` });
        log.error(`host ${host}${host !== r.hostname ? ` at ${r.hostname}` : ''} (via agent ${name}): ${r.problems.join('; ')}`);
      }
    }
  }
  if (unreachable.length > 0) {
    log.error('Host validation failed; no task was run (use --skip-host-validation to skip it)');
    return { exitCode: ExitCode.HOST_VALIDATION_FAILED, executors, unreachable };
  }
  if (targets.length === 0) return undefined;
  const { validateHosts, formatHostProblem } = await import('../../shared/hosts/index.js');
  const { hostValidationFromConfig } = await import('../../shared/config/index.js');
  const hv = hostValidationFromConfig(run.config.data).config;
  const result = await validateHosts(targets, { registry: run.registry, hostValidation: hv, checkConnectivity: args.checkConnectivity, env: io.env });
  for (const p of result.problems) log.error(formatHostProblem(p));
  if (!result.ok) {
    log.error('Host validation failed; no task was run (use --skip-host-validation to skip it)');
    const ranOn = (execType: string): 'ssh' | 'local' => (execType === 'ssh' ? 'ssh' : 'local');
    for (const host of new Set(result.problems.map((p) => p.hostname))) unreachable.push({ host, ranOn: ranOn(targets.find((t) => t.hostname === host)?.execType ?? '') });
    return { exitCode: ExitCode.HOST_VALIDATION_FAILED, executors, unreachable };
  }
  for (const [host, fqdn] of result.fqdn) if (fqdn !== host) log.info(`Host ${host} resolved to ${fqdn}`);
  return undefined;
}
