import { join } from 'node:path';
import { PROTO_LOADER_OPTIONS, packageRoot } from '../../shared/proto/load-proto.js';
import type { ExecuteEvent__Output } from '../../shared/proto/generated/tasker/agent/v1/ExecuteEvent.js';
import type { ExecuteRequest } from '../../shared/proto/generated/tasker/agent/v1/ExecuteRequest.js';
import type { InfoResponse__Output } from '../../shared/proto/generated/tasker/agent/v1/InfoResponse.js';
import type { CheckHostsRequest } from '../../shared/proto/generated/tasker/agent/v1/CheckHostsRequest.js';
import type { CheckHostsResponse__Output } from '../../shared/proto/generated/tasker/agent/v1/CheckHostsResponse.js';
import type { HealthCheckRequest } from '../../shared/proto/generated/grpc/health/v1/HealthCheckRequest.js';
import type { HealthCheckResponse__Output } from '../../shared/proto/generated/grpc/health/v1/HealthCheckResponse.js';
import type { MethodDefinition } from './grpc-client.js';

/** The agent methods the controller calls, with their (de)serializers from the .proto files. */
export interface AgentMethods {
  execute: MethodDefinition<ExecuteRequest, ExecuteEvent__Output>;
  info: MethodDefinition<Record<string, never>, InfoResponse__Output>;
  checkHosts: MethodDefinition<CheckHostsRequest, CheckHostsResponse__Output>;
  health: MethodDefinition<HealthCheckRequest, HealthCheckResponse__Output>;
}

let cached: Promise<AgentMethods> | undefined;

/** Load proto/agent.proto and proto/health.proto with proto-loader (no @grpc/grpc-js needed). */
export function loadAgentMethods(): Promise<AgentMethods> {
  cached ??= (async () => {
    const loader = await import('@grpc/proto-loader');
    const dir = join(packageRoot(), 'proto');
    const agent = loader.loadSync(join(dir, 'agent.proto'), PROTO_LOADER_OPTIONS)['tasker.agent.v1.Agent'] as Record<string, unknown>;
    const health = loader.loadSync(join(dir, 'health.proto'), PROTO_LOADER_OPTIONS)['grpc.health.v1.Health'] as Record<string, unknown>;
    return {
      execute: agent['Execute'],
      info: agent['Info'],
      checkHosts: agent['CheckHosts'],
      health: health['Check'],
    } as AgentMethods;
  })();
  return cached;
}
