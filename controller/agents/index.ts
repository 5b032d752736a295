export {
  parseAgentsConfig,
  lookupAgentSpec,
  isLoopbackAddress,
  agentsConfigDiagnostics,
  type AgentSpec,
  type AgentsConfig,
  type AgentTlsFiles,
} from './agent-spec.js';
export { describeAgent, openAgentConnection, type AgentConnection } from './agent-connection.js';
export { Status, GrpcCallError, statusName, type StreamingCall } from './grpc-client.js';
export { AgentSession } from './agent-session.js';
