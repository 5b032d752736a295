/** @entry-point: loaded on demand by the pre-run checks (gRPC), so not in this folder's index. */
import { packageVersion } from '../../shared/proto/package-info.js';
import { describeAgent, type AgentSpec } from '../agents/index.js';
import { createAgentExecutor, type AgentExecutor } from './agent-executor.js';

/** One reason an agent cannot be used for this run (→ exit 21 naming the agent). */
export interface AgentProblem {
  /** The agent's name as configured (or HOST:PORT). */
  agent: string;
  message: string;
}

/** Versions talk to each other when they share the major version (major.minor while 0.x). */
export function versionsCompatible(a: string, b: string): boolean {
  const pa = a.split('.');
  const pb = b.split('.');
  if (pa[0] !== pb[0]) return false;
  return pa[0] !== '0' || pa[1] === pb[1];
}

/**
 * Check every agent a run needs before any task runs: reachable, health SERVING, compatible
 * version. Pass executors (from createAgentExecutor) to reuse their connections for the run;
 * specs get a temporary connection. Resolves with the problems found (empty = all good).
 */
export async function checkAgents(targets: Array<AgentSpec | AgentExecutor>): Promise<AgentProblem[]> {
  const ours = packageVersion();
  const results = await Promise.all(
    targets.map(async (t): Promise<AgentProblem | undefined> => {
      const isExecutor = 'execute' in t;
      const executor = isExecutor ? t : createAgentExecutor(t);
      const spec = executor.spec;
      try {
        const info = await executor.probe();
        if (!versionsCompatible(info.version, ours)) {
          return {
            agent: spec.name,
            message: `agent ${describeAgent(spec)}: version ${info.version} is not compatible with this controller (${ours}); upgrade the agent (tasker-agent install)`,
          };
        }
        return undefined;
      } catch (err) {
        return { agent: spec.name, message: (err as Error).message };
      } finally {
        if (!isExecutor) await executor.close();
      }
    }),
  );
  return results.filter((p): p is AgentProblem => p !== undefined);
}
