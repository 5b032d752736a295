/** Driving an agent executor's start-ahead seam directly, as the engine does (test/controller/agents/pipelined*.test.ts). */
import { createAgentExecutor, type AgentExecutor, type AgentExecutorOptions } from '../../controller/executors/agent-executor.js';
import type { ExecRequest } from '../../shared/exec/executor.js';
import type { ProcessResult } from '../../shared/exec/types.js';
import type { AheadTask, StartAheadRequest, StartedAhead } from '../../core/executors/start-ahead.js';
import type { AgentProcess } from './agent-process.js';

/** A request with its start-ahead part (the executor's StartAheadRequest). */
export type AheadCall = ExecRequest & Partial<StartAheadRequest>;
export const req = (command: string, args: string, nextTasks: AheadTask[] = []): AheadCall => ({
  runId: `pipe-${process.pid}-${Math.random()}`, taskId: '1', execType: 'local', hostname: 'localhost', command, arguments: args, timeoutMs: 30_000, next: nextTasks,
});
/** Runs a call through the executor's start-ahead seam, as the engine does. */
export async function execute(ex: AgentExecutor, call: AheadCall): Promise<ProcessResult & { startedAhead: StartedAhead[] }> {
  const { next: nextTasks = [], after, taken, ...request } = call;
  const { result, started } = await ex.startAhead.execute(request, { next: nextTasks, after, taken });
  return { ...result, startedAhead: started };
}
export const next = (command: string, args: string, taskId = '2') => ({ taskId, execType: 'local', hostname: 'localhost', command, arguments: args, timeoutMs: 30_000 });

/** An executor for the agent at `address` that has probed it (so it pipelines), closed after `fn`. */
export async function withProbedExecutor(address: string, fn: (ex: AgentExecutor) => Promise<void>, options: AgentExecutorOptions = {}): Promise<void> {
  const ex = createAgentExecutor({ name: 'jump', kind: 'plain', address }, options);
  try {
    await ex.probe(); // the agent says it understands pipelined Executes
    await fn(ex);
  } finally {
    await ex.close();
  }
}

/** The agent's "execute done" lines of one run. */
export function executeDoneLines(agent: AgentProcess, runId: string): { taskId: string; outcome: string; after?: string }[] {
  return agent
    .log()
    .split('\n')
    .filter((l) => l.includes('"execute done"') && l.includes(runId))
    .map((l) => JSON.parse(l) as { taskId: string; outcome: string; after?: string });
}
