/**
 * Protocol Buffers encoding of the agent messages the controller sends and receives, by
 * protobufjs/light from the descriptors scripts/gen-proto.sh generates out of proto/*.proto
 * (shared/proto/generated/descriptor.ts). Decoded objects have the shapes @grpc/proto-loader gives
 * the agent with PROTO_LOADER_OPTIONS (defaults filled in, enums as names, 64-bit integers as
 * numbers, the oneof's name in `event`), so the generated `__Output` types hold on both ends.
 */
import protobuf from 'protobufjs/light.js';
import { descriptor } from '../../shared/proto/generated/descriptor.js';
import { PROTO_LOADER_OPTIONS } from '../../shared/proto/load-proto.js';
import type { ExecuteEvent__Output } from '../../shared/proto/generated/tasker/agent/v1/ExecuteEvent.js';
import type { ExecuteRequest } from '../../shared/proto/generated/tasker/agent/v1/ExecuteRequest.js';
import type { InfoResponse__Output } from '../../shared/proto/generated/tasker/agent/v1/InfoResponse.js';
import type { CheckHostsRequest } from '../../shared/proto/generated/tasker/agent/v1/CheckHostsRequest.js';
import type { CheckHostsResponse__Output } from '../../shared/proto/generated/tasker/agent/v1/CheckHostsResponse.js';
import type { SessionRequest } from '../../shared/proto/generated/tasker/agent/v1/SessionRequest.js';
import type { SessionEvent__Output } from '../../shared/proto/generated/tasker/agent/v1/SessionEvent.js';
import type { HealthCheckRequest } from '../../shared/proto/generated/grpc/health/v1/HealthCheckRequest.js';
import type { HealthCheckResponse__Output } from '../../shared/proto/generated/grpc/health/v1/HealthCheckResponse.js';

const root = protobuf.Root.fromJSON(descriptor as protobuf.INamespace);

/** The encoder of message `name`: proto3 (defaults are not written), as proto-loader encodes. */
function encoder<T extends object>(name: string): (message: T) => Buffer {
  const type = root.lookupType(name);
  return (message) => {
    const bytes = type.encode(type.fromObject(message)).finish();
    return Buffer.isBuffer(bytes) ? bytes : Buffer.from(bytes.buffer, bytes.byteOffset, bytes.length);
  };
}

/** The decoder of message `name`; a truncated or malformed message throws (the call fails INTERNAL). */
function decoder<T>(name: string): (bytes: Buffer) => T {
  const type = root.lookupType(name);
  return (bytes) => type.toObject(type.decode(bytes), PROTO_LOADER_OPTIONS) as T;
}

const AGENT = 'tasker.agent.v1.';
const HEALTH = 'grpc.health.v1.';

export const encodeExecuteRequest = encoder<ExecuteRequest>(`${AGENT}ExecuteRequest`);
export const encodeSessionRequest = encoder<SessionRequest>(`${AGENT}SessionRequest`);
export const encodeHealthCheckRequest = encoder<HealthCheckRequest>(`${HEALTH}HealthCheckRequest`);
export const encodeCheckHostsRequest = encoder<CheckHostsRequest>(`${AGENT}CheckHostsRequest`);
const encodeEmptyInfo = encoder<Record<string, never>>(`${AGENT}InfoRequest`);
export const encodeInfoRequest = (): Buffer => encodeEmptyInfo({});

export const decodeExecuteEvent = decoder<ExecuteEvent__Output>(`${AGENT}ExecuteEvent`);
export const decodeSessionEvent = decoder<SessionEvent__Output>(`${AGENT}SessionEvent`);
export const decodeHealthCheckResponse = decoder<HealthCheckResponse__Output>(`${HEALTH}HealthCheckResponse`);
export const decodeInfoResponse = decoder<InfoResponse__Output>(`${AGENT}InfoResponse`);
export const decodeCheckHostsResponse = decoder<CheckHostsResponse__Output>(`${AGENT}CheckHostsResponse`);
