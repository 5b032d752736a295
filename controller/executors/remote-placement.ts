/**
 * The controller's RemotePlacement (core/run/remote-placement.ts): a run's tasks on tasker-agents
 * (gRPC) and over SSH, chosen by run-executors.ts. gRPC and ssh2 are loaded only when a run uses
 * them (run-executors.ts, check-agents.ts, remote-config-diagnostics.ts for a config file).
 */
import type { RemotePlacement } from '../../core/run/index.js';
import { createRunExecutors } from './run-executors.js';

export const remotePlacement: RemotePlacement = {
  placeTasks: async (setup, tasks) => {
    const { executors, problems } = await createRunExecutors(setup, tasks);
    return {
      executors,
      problems,
      checkAgents: async () => {
        const { checkAgents } = await import('./check-agents.js');
        return checkAgents([...executors.agents.values()]);
      },
    };
  },
  configDiagnostics: async (data, configPath, positionOf) => {
    const { remoteConfigDiagnostics } = await import('../cli/remote-config-diagnostics.js');
    return remoteConfigDiagnostics(data, configPath, positionOf);
  },
};
