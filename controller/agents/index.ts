export {
  parseAgentsConfig,
  lookupAgentSpec,
  isLoopbackAddress,
  type AgentSpec,
  type AgentsConfig,
  type AgentTlsFiles,
} from './agent-spec.js';
export { resolveAgentName, type ResolveAgentInput } from './resolve-agent.js';
export {
  createAgentExecutor,
  AGENT_LOST_EXIT_CODE,
  type AgentExecutor,
  type AgentExecutorOptions,
  type HostCheckResult,
} from '../executors/agent-executor.js';
export { checkAgents, versionsCompatible, type AgentProblem } from './check-agents.js';
export { describeAgent, openAgentConnection, AgentConnectError, type AgentConnection } from './agent-connection.js';
export { agentsConfigDiagnostics } from './agent-spec.js';
