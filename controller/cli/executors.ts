/**
 * Where each task runs: on this machine, on a tasker-agent (gRPC over mTLS or an SSH tunnel), or
 * over SSH directly (exec=ssh). gRPC and ssh2 are imported only when a run needs them, so a local run
 * starts fast.
 */
import type { TaskExecutor } from '../../shared/exec/index.js';
import type { Task } from '../../shared/taskfile/model.js';
import { substitute } from '../../shared/taskfile/variables.js';
import { createLocalExecutor } from '../engine/local-executor.js';
import type { Setup } from './tasker-main.js';
import type { AgentExecutor } from '../agents/index.js';

export interface RunExecutors {
  /** Agent name per task id (absent = local), decided before the run. */
  agentOf: Map<number, string>;
  executorFor: (task: Task, execType: string) => TaskExecutor;
  /** Agent executors by name (for pre-run checks and host checks). */
  agents: Map<string, AgentExecutor>;
  close: () => Promise<void>;
}

/** Decide the agent of every task and create the executors; problems (unknown agent names) are returned. */
export async function createRunExecutors(setup: Setup, tasks: Task[]): Promise<{ executors: RunExecutors; problems: string[] }> {
  const { args, io, workflow } = setup;
  const local = createLocalExecutor({ registry: setup.registry, env: io.env, cwd: io.cwd });
  const g = (t: string): string => substitute(t, (n) => workflow.globals.get(n));
  const agentOf = new Map<number, string>();
  const problems: string[] = [];
  const agents = new Map<string, AgentExecutor>();
  const wantsAgents = args.agent !== undefined || Boolean(io.env['TASK_EXECUTOR_AGENT']) || setup.config.data['default_agent'] !== undefined || tasks.some((t) => t.agent !== undefined);
  if (wantsAgents) {
    const mod = await import('../agents/index.js');
    const config = mod.parseAgentsConfig(setup.config.data, setup.config.path);
    problems.push(...config.problems.map((p) => `config: ${p}`));
    for (const t of tasks) {
      if (setup.taskExecType(t).canonical === 'ssh') continue; // agentless by definition
      const name = mod.resolveAgentName({ taskAgent: t.agent !== undefined ? g(t.agent) : undefined, cliAgent: args.agent, env: io.env, config });
      if (!name) continue;
      if (!agents.has(name)) {
        const found = mod.lookupAgentSpec(name, config, io.cwd);
        if (!found.spec) {
          problems.push(`task ${t.id}: agent '${name}': ${found.problem ?? 'not configured'}`);
          continue;
        }
        agents.set(name, mod.createAgentExecutor(found.spec, { env: io.env, secrets: setup.secrets }));
      }
      agentOf.set(t.id, name);
    }
  }
  let ssh: TaskExecutor | undefined;
  const sshExecutor = async (): Promise<TaskExecutor> => {
    if (ssh) return ssh;
    const mod = await import('../ssh/index.js');
    const parsed = mod.parseSshConfig(setup.config.data, setup.config.path);
    ssh = mod.createSshExecutor({ ...parsed.options, env: io.env });
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
        const agent = agentOf.get(task.id);
        return (agent && agents.get(agent)) || local;
      },
      close: async () => {
        await Promise.all([local.close(), ssh?.close(), ...[...agents.values()].map((a) => a.close())]);
      },
    },
  };
}

/** An executor created on first use (exec=ssh chosen by a substituted exec value at run time). */
function lazyExecutor(name: string, make: () => Promise<TaskExecutor>): TaskExecutor {
  return { name, execute: async (req) => (await make()).execute(req), close: async () => {} };
}
