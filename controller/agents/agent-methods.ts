import type { ExecuteEvent__Output } from '../../shared/proto/generated/tasker/agent/v1/ExecuteEvent.js';
import type { ExecuteRequest } from '../../shared/proto/generated/tasker/agent/v1/ExecuteRequest.js';
import type { SessionEvent__Output } from '../../shared/proto/generated/tasker/agent/v1/SessionEvent.js';
import type { SessionRequest } from '../../shared/proto/generated/tasker/agent/v1/SessionRequest.js';
import type { InfoResponse__Output } from '../../shared/proto/generated/tasker/agent/v1/InfoResponse.js';
import type { CheckHostsRequest } from '../../shared/proto/generated/tasker/agent/v1/CheckHostsRequest.js';
import type { CheckHostsResponse__Output } from '../../shared/proto/generated/tasker/agent/v1/CheckHostsResponse.js';
import type { HealthCheckRequest } from '../../shared/proto/generated/grpc/health/v1/HealthCheckRequest.js';
import type { HealthCheckResponse__Output } from '../../shared/proto/generated/grpc/health/v1/HealthCheckResponse.js';
import * as codec from './agent-codec.js';
import type { MethodDefinition } from './grpc-client.js';

/** The agent methods the controller calls: their paths and message codecs (agent-codec.ts). */
export interface AgentMethods {
  execute: MethodDefinition<ExecuteRequest, ExecuteEvent__Output>;
  session: MethodDefinition<SessionRequest, SessionEvent__Output>;
  info: MethodDefinition<Record<string, never>, InfoResponse__Output>;
  checkHosts: MethodDefinition<CheckHostsRequest, CheckHostsResponse__Output>;
  health: MethodDefinition<HealthCheckRequest, HealthCheckResponse__Output>;
}

export const AGENT_METHODS: AgentMethods = {
  execute: { path: '/tasker.agent.v1.Agent/Execute', requestSerialize: codec.encodeExecuteRequest, responseDeserialize: codec.decodeExecuteEvent },
  session: { path: '/tasker.agent.v1.Agent/Session', requestSerialize: codec.encodeSessionRequest, responseDeserialize: codec.decodeSessionEvent },
  info: { path: '/tasker.agent.v1.Agent/Info', requestSerialize: codec.encodeInfoRequest, responseDeserialize: codec.decodeInfoResponse },
  checkHosts: { path: '/tasker.agent.v1.Agent/CheckHosts', requestSerialize: codec.encodeCheckHostsRequest, responseDeserialize: codec.decodeCheckHostsResponse },
  health: { path: '/grpc.health.v1.Health/Check', requestSerialize: codec.encodeHealthCheckRequest, responseDeserialize: codec.decodeHealthCheckResponse },
};
