/**
 * Which tasks of a run need an agent or SSH: the tasks a run without a RemotePlacement (in-process
 * on an agent) cannot run. `needsRemotePlacement(argv, io)` answers it for a caller before anything
 * is written or run, so it can start the tasker bin for such a file instead.
 */
import type { CliIo } from '../../shared/cli-io.js';
import type { Task } from '../../shared/taskfile/model.js';
import { substitute } from '../../shared/taskfile/variables.js';
import { flowOrder } from '../engine/plan.js';
import { inheritAgents, resolveAgentName } from '../executors/index.js';
import type { ExecutorSetup } from './executor-setup.js';
import { loadRun } from './load.js';
import { parseRunRequest } from './request.js';
import type { ValidatedRun } from './types.js';
import { validateRun } from './validate.js';

/** Why a run without a RemotePlacement refuses a task. */
export const NO_REMOTE_PLACEMENT = 'this run cannot place tasks on agents or SSH hosts (in-process on an agent)';

/** A task that runs on an agent (`agent`: its name) or over SSH (`agent` absent: exec=ssh). */
export interface RemoteNeed {
  taskId: number;
  agent?: string;
}

/** "task 3 runs on agent 'web1'" / "task 4 runs over SSH (exec=ssh)". */
export function describeRemoteNeed(need: RemoteNeed): string {
  return need.agent !== undefined ? `task ${need.taskId} runs on agent '${need.agent}'` : `task ${need.taskId} runs over SSH (exec=ssh)`;
}

/**
 * The tasks among `tasks` that need an agent or SSH, by the rule the controller places them with
 * (controller/executors/run-executors.ts): exec=ssh, else the task's or its block's `agent=`,
 * `--agent`, TASK_EXECUTOR_AGENT, config `default_agent` (`local`/`none`: this machine).
 */
export function remoteNeedsOf(setup: ExecutorSetup, tasks: Task[]): RemoteNeed[] {
  const { args, io, workflow } = setup;
  const g = (t: string): string => substitute(t, (n) => workflow.globals.get(n));
  const inherited = inheritAgents(workflow, []);
  const defaultAgent = setup.config.data['default_agent'];
  const config = { defaultAgent: typeof defaultAgent === 'string' ? defaultAgent : undefined };
  const needs: RemoteNeed[] = [];
  for (const t of tasks) {
    if (setup.taskExecType(t).canonical === 'ssh') {
      needs.push({ taskId: t.id });
      continue;
    }
    const own = t.agent ?? inherited.get(t.id);
    const agent = resolveAgentName({ taskAgent: own !== undefined ? g(own) : undefined, cliAgent: args.agent, env: io.env, config });
    if (agent !== undefined) needs.push({ taskId: t.id, agent });
  }
  return needs;
}

/** The command tasks the run can reach from its start (top level and the blocks' sub-tasks). */
export function reachableCommandTasks(run: ValidatedRun): Task[] {
  const { workflow } = run;
  const topLevel = flowOrder(workflow, run.args.startFrom);
  const reachable = new Set<number>(topLevel);
  for (const id of topLevel) {
    const t = workflow.tasks.get(id)!;
    for (const ids of [t.tasks, t.ifTrueTasks, t.ifFalseTasks]) for (const sub of ids ?? []) reachable.add(sub);
  }
  return [...reachable].map((id) => workflow.tasks.get(id)!).filter((t) => t.command && (t.type === 'task' || t.hostnames));
}

/**
 * The tasks a tasker run of `argv` would send to an agent or over SSH, read from its task file and
 * config the way the run reads them, writing nothing and printing nothing. Empty when the run needs
 * no remote placement, and when it ends before placing tasks (usage error, unreadable or invalid
 * file): a run without a RemotePlacement ends the same way. An `exec` that becomes `ssh` only
 * by a task's result is not seen here; such a task fails when it runs.
 */
export async function needsRemotePlacement(argv: readonly string[], io: CliIo): Promise<RemoteNeed[]> {
  const silent: CliIo = { env: io.env, cwd: io.cwd, isTTY: false, stdout: { write: () => true }, stderr: { write: () => true } };
  const request = parseRunRequest(argv, silent);
  if ('exitCode' in request) return [];
  const loaded = loadRun(request, silent, {});
  if ('exitCode' in loaded) return [];
  const validated = await validateRun(loaded, {});
  if ('exitCode' in validated || validated.failure) return [];
  const { run } = validated;
  return remoteNeedsOf({ ...run, taskExecType: run.execTypes.ofTask }, reachableCommandTasks(run));
}
