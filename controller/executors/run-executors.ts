/**
 * Where each task runs: on this machine, on a tasker-agent (gRPC over mTLS or an SSH tunnel), or
 * over SSH directly (exec=ssh). gRPC and ssh2 are imported only when a run needs them, so a local run
 * starts fast.
 *
 * Every kind of task follows the same rule (docs/agent.md "Which tasks go to the agent"): its own
 * `agent=`, else the `agent=` of the block that runs it (`tasks=`, `if_true_tasks=`,
 * `if_false_tasks=`, and the sub-tasks a `hostnames=` block generates), else `--agent`, else
 * TASK_EXECUTOR_AGENT, else config `default_agent`; `exec=ssh` never goes to an agent.
 */
import type { CliIo } from '../../shared/cli-io.js';
import { spillDirOf, type TaskExecutor } from '../../shared/exec/index.js';
import type { Task, Workflow } from '../../shared/taskfile/model.js';
import { substitute } from '../../shared/taskfile/variables.js';
import { createLocalExecutor, inheritAgents, resolveAgentName } from '../../core/executors/index.js';
import type { RunExecutors as PlacedExecutors } from '../../core/run/index.js';
import type { ExecTypeRegistry } from '../../shared/exec/index.js';
import type { AgentExecutor } from './agent-executor.js';
import { TaskExit } from '../../shared/exit-codes.js';

/** Exit code of a task whose agent is not there (as for an agent lost mid-task: AGENT_LOST_EXIT_CODE). */
const AGENT_UNREACHABLE_EXIT_CODE = TaskExit.UNREACHABLE;

/** The run's executors, its agents' as the controller's AgentExecutor (for the pre-run checks). */
export interface RunExecutors extends PlacedExecutors {
  agents: Map<string, AgentExecutor>;
}

/** What choosing the executors needs of a run's setup (the CLI's Setup has it). */
export interface ExecutorSetup {
  args: { agent?: string };
  io: Pick<CliIo, 'env' | 'cwd' | 'killGraceMs' | 'hurry'>;
  workflow: Workflow;
  registry: ExecTypeRegistry;
  config: { path?: string; data: Record<string, unknown> };
  /** The run's secret values (agents keep them out of their logs). */
  secrets: string[];
  /** A task's exec type as written and its canonical name. */
  taskExecType: (task: Task) => { canonical: string | undefined };
}

/** Decide the agent of every task and create the executors; problems (unknown agent names) are returned. */
export async function createRunExecutors(setup: ExecutorSetup, tasks: Task[]): Promise<{ executors: RunExecutors; problems: string[] }> {
  const { args, io, workflow } = setup;
  const local = createLocalExecutor({ registry: setup.registry, env: io.env, cwd: io.cwd, killGraceMs: io.killGraceMs, hurry: io.hurry });
  const g = (t: string): string => substitute(t, (n) => workflow.globals.get(n));
  const agentOf = new Map<number, string>();
  const problems: string[] = [];
  const agents = new Map<string, AgentExecutor>();
  const inherited = inheritAgents(workflow, problems);
  const wantsAgents = args.agent !== undefined || Boolean(io.env['TASK_EXECUTOR_AGENT']) || setup.config.data['default_agent'] !== undefined
    || [...workflow.tasks.values()].some((t) => t.agent !== undefined);
  const mod = wantsAgents ? await import('../agents/index.js') : undefined;
  const agentMod = wantsAgents ? await import('./agent-executor.js') : undefined;
  const config = mod?.parseAgentsConfig(setup.config.data, setup.config.path);
  if (config) problems.push(...config.problems.map((p) => `config: ${p}`));

  /** The agent a task runs on, or undefined for this machine. */
  const agentNameOf = (task: Task): string | undefined => {
    if (!mod || !config) return undefined;
    const own = task.agent ?? inherited.get(task.id);
    return resolveAgentName({ taskAgent: own !== undefined ? g(own) : undefined, cliAgent: args.agent, env: io.env, config });
  };
  /** The executor of a named agent, created on first use; undefined with the reason when it is not configured. */
  const agentExecutor = (name: string): { executor?: AgentExecutor; problem?: string } => {
    const known = agents.get(name);
    if (known) return { executor: known };
    const found = mod!.lookupAgentSpec(name, config!, io.cwd);
    if (!found.spec) return { problem: found.problem ?? 'not configured' };
    const executor = agentMod!.createAgentExecutor(found.spec, { env: io.env, secrets: setup.secrets, spillDir: spillDirOf(io.env) });
    agents.set(name, executor);
    return { executor };
  };

  for (const t of tasks) {
    if (setup.taskExecType(t).canonical === 'ssh') continue; // agentless by definition
    const name = agentNameOf(t);
    if (!name) continue;
    const { problem } = agentExecutor(name);
    if (problem) problems.push(`task ${t.id}: agent '${name}': ${problem}`);
    else agentOf.set(t.id, name);
  }
  let ssh: TaskExecutor | undefined;
  const sshExecutor = async (): Promise<TaskExecutor> => {
    if (ssh) return ssh;
    const [sshMod, executorMod] = await Promise.all([import('../ssh/index.js'), import('./ssh-executor.js')]);
    const parsed = sshMod.parseSshConfig(setup.config.data, setup.config.path);
    ssh = executorMod.createSshExecutor({ ...parsed.options, env: io.env, spillDir: spillDirOf(io.env) });
    return ssh;
  };
  if (tasks.some((t) => setup.taskExecType(t).canonical === 'ssh')) await sshExecutor();
  return {
    problems,
    executors: {
      agentOf,
      agents,
      executorFor: (task, execType) => {
        if (execType === 'ssh') return ssh ?? lazyExecutor('ssh', sshExecutor);
        const name = agentNameOf(task);
        if (!name) return local;
        const { executor, problem } = agentExecutor(name);
        // Never fall back to this machine: a task meant for an agent that is not there fails.
        return executor ?? missingAgentExecutor(name, problem ?? 'not configured');
      },
      placeOf: (task, execType) => {
        if (execType === 'ssh') return 'ssh';
        const name = agentNameOf(task);
        return name ? `agent:${name}` : 'local';
      },
      close: async () => {
        await Promise.all([local.close(), ssh?.close(), ...[...agents.values()].map((a) => a.close())]);
      },
    },
  };
}

/** What a task meant for an unknown agent runs on: it fails at once, its host unreachable. */
function missingAgentExecutor(name: string, problem: string): TaskExecutor {
  const text = `tasker: agent '${name}': ${problem}\n`;
  return {
    name: `agent ${name} (not configured)`,
    execute: async () => ({
      argv: [], exitCode: AGENT_UNREACHABLE_EXIT_CODE, signal: null, stdout: '', stderr: text, stdoutBytes: 0, stderrBytes: text.length,
      timedOut: false, canceled: false, durationMs: 0, truncated: false, spawnError: text.trim(), unreachable: true,
    }),
    close: async () => {},
  };
}

/** An executor created on first use (exec=ssh chosen by a substituted exec value at run time). */
function lazyExecutor(name: string, make: () => Promise<TaskExecutor>): TaskExecutor {
  return { name, execute: async (req) => (await make()).execute(req), close: async () => {} };
}
