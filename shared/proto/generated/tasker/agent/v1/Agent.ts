// Original file: proto/agent.proto

import type * as grpc from '@grpc/grpc-js'
import type { MethodDefinition } from '@grpc/proto-loader'
import type { CheckHostsRequest as _tasker_agent_v1_CheckHostsRequest, CheckHostsRequest__Output as _tasker_agent_v1_CheckHostsRequest__Output } from '../../../tasker/agent/v1/CheckHostsRequest.js';
import type { CheckHostsResponse as _tasker_agent_v1_CheckHostsResponse, CheckHostsResponse__Output as _tasker_agent_v1_CheckHostsResponse__Output } from '../../../tasker/agent/v1/CheckHostsResponse.js';
import type { ExecuteEvent as _tasker_agent_v1_ExecuteEvent, ExecuteEvent__Output as _tasker_agent_v1_ExecuteEvent__Output } from '../../../tasker/agent/v1/ExecuteEvent.js';
import type { ExecuteRequest as _tasker_agent_v1_ExecuteRequest, ExecuteRequest__Output as _tasker_agent_v1_ExecuteRequest__Output } from '../../../tasker/agent/v1/ExecuteRequest.js';
import type { InfoRequest as _tasker_agent_v1_InfoRequest, InfoRequest__Output as _tasker_agent_v1_InfoRequest__Output } from '../../../tasker/agent/v1/InfoRequest.js';
import type { InfoResponse as _tasker_agent_v1_InfoResponse, InfoResponse__Output as _tasker_agent_v1_InfoResponse__Output } from '../../../tasker/agent/v1/InfoResponse.js';
import type { SessionEvent as _tasker_agent_v1_SessionEvent, SessionEvent__Output as _tasker_agent_v1_SessionEvent__Output } from '../../../tasker/agent/v1/SessionEvent.js';
import type { SessionRequest as _tasker_agent_v1_SessionRequest, SessionRequest__Output as _tasker_agent_v1_SessionRequest__Output } from '../../../tasker/agent/v1/SessionRequest.js';

export interface AgentClient extends grpc.Client {
  /**
   * Host validation (DNS, ping, optional connectivity test) run from the agent's host.
   */
  CheckHosts(argument: _tasker_agent_v1_CheckHostsRequest, metadata: grpc.Metadata, options: grpc.CallOptions, callback: grpc.requestCallback<_tasker_agent_v1_CheckHostsResponse__Output>): grpc.ClientUnaryCall;
  CheckHosts(argument: _tasker_agent_v1_CheckHostsRequest, metadata: grpc.Metadata, callback: grpc.requestCallback<_tasker_agent_v1_CheckHostsResponse__Output>): grpc.ClientUnaryCall;
  CheckHosts(argument: _tasker_agent_v1_CheckHostsRequest, options: grpc.CallOptions, callback: grpc.requestCallback<_tasker_agent_v1_CheckHostsResponse__Output>): grpc.ClientUnaryCall;
  CheckHosts(argument: _tasker_agent_v1_CheckHostsRequest, callback: grpc.requestCallback<_tasker_agent_v1_CheckHostsResponse__Output>): grpc.ClientUnaryCall;
  /**
   * Host validation (DNS, ping, optional connectivity test) run from the agent's host.
   */
  checkHosts(argument: _tasker_agent_v1_CheckHostsRequest, metadata: grpc.Metadata, options: grpc.CallOptions, callback: grpc.requestCallback<_tasker_agent_v1_CheckHostsResponse__Output>): grpc.ClientUnaryCall;
  checkHosts(argument: _tasker_agent_v1_CheckHostsRequest, metadata: grpc.Metadata, callback: grpc.requestCallback<_tasker_agent_v1_CheckHostsResponse__Output>): grpc.ClientUnaryCall;
  checkHosts(argument: _tasker_agent_v1_CheckHostsRequest, options: grpc.CallOptions, callback: grpc.requestCallback<_tasker_agent_v1_CheckHostsResponse__Output>): grpc.ClientUnaryCall;
  checkHosts(argument: _tasker_agent_v1_CheckHostsRequest, callback: grpc.requestCallback<_tasker_agent_v1_CheckHostsResponse__Output>): grpc.ClientUnaryCall;
  
  /**
   * Runs one task. Events: exactly one `started` (unless the program could not be spawned), any
   * number of stdout/stderr chunks in arrival order, then exactly one `finished`.
   */
  Execute(argument: _tasker_agent_v1_ExecuteRequest, metadata: grpc.Metadata, options?: grpc.CallOptions): grpc.ClientReadableStream<_tasker_agent_v1_ExecuteEvent__Output>;
  Execute(argument: _tasker_agent_v1_ExecuteRequest, options?: grpc.CallOptions): grpc.ClientReadableStream<_tasker_agent_v1_ExecuteEvent__Output>;
  /**
   * Runs one task. Events: exactly one `started` (unless the program could not be spawned), any
   * number of stdout/stderr chunks in arrival order, then exactly one `finished`.
   */
  execute(argument: _tasker_agent_v1_ExecuteRequest, metadata: grpc.Metadata, options?: grpc.CallOptions): grpc.ClientReadableStream<_tasker_agent_v1_ExecuteEvent__Output>;
  execute(argument: _tasker_agent_v1_ExecuteRequest, options?: grpc.CallOptions): grpc.ClientReadableStream<_tasker_agent_v1_ExecuteEvent__Output>;
  
  /**
   * Version, exec types, load.
   */
  Info(argument: _tasker_agent_v1_InfoRequest, metadata: grpc.Metadata, options: grpc.CallOptions, callback: grpc.requestCallback<_tasker_agent_v1_InfoResponse__Output>): grpc.ClientUnaryCall;
  Info(argument: _tasker_agent_v1_InfoRequest, metadata: grpc.Metadata, callback: grpc.requestCallback<_tasker_agent_v1_InfoResponse__Output>): grpc.ClientUnaryCall;
  Info(argument: _tasker_agent_v1_InfoRequest, options: grpc.CallOptions, callback: grpc.requestCallback<_tasker_agent_v1_InfoResponse__Output>): grpc.ClientUnaryCall;
  Info(argument: _tasker_agent_v1_InfoRequest, callback: grpc.requestCallback<_tasker_agent_v1_InfoResponse__Output>): grpc.ClientUnaryCall;
  /**
   * Version, exec types, load.
   */
  info(argument: _tasker_agent_v1_InfoRequest, metadata: grpc.Metadata, options: grpc.CallOptions, callback: grpc.requestCallback<_tasker_agent_v1_InfoResponse__Output>): grpc.ClientUnaryCall;
  info(argument: _tasker_agent_v1_InfoRequest, metadata: grpc.Metadata, callback: grpc.requestCallback<_tasker_agent_v1_InfoResponse__Output>): grpc.ClientUnaryCall;
  info(argument: _tasker_agent_v1_InfoRequest, options: grpc.CallOptions, callback: grpc.requestCallback<_tasker_agent_v1_InfoResponse__Output>): grpc.ClientUnaryCall;
  info(argument: _tasker_agent_v1_InfoRequest, callback: grpc.requestCallback<_tasker_agent_v1_InfoResponse__Output>): grpc.ClientUnaryCall;
  
  /**
   * Many Execute calls over one long-lived stream: each call is a message (`execute`, with a
   * call_id) and its events come back tagged with that call_id, in the order Execute would send
   * them. A call costs no HTTP/2 stream, headers, deadline timer or trailers, which is most of an
   * Execute's cost on both ends (docs/agent.md, "Session"). The controller keeps one per agent.
   * Closing the stream (or losing the connection) cancels every call still running on it. A
   * draining agent ends its sessions once their calls are done.
   */
  Session(metadata: grpc.Metadata, options?: grpc.CallOptions): grpc.ClientDuplexStream<_tasker_agent_v1_SessionRequest, _tasker_agent_v1_SessionEvent__Output>;
  Session(options?: grpc.CallOptions): grpc.ClientDuplexStream<_tasker_agent_v1_SessionRequest, _tasker_agent_v1_SessionEvent__Output>;
  /**
   * Many Execute calls over one long-lived stream: each call is a message (`execute`, with a
   * call_id) and its events come back tagged with that call_id, in the order Execute would send
   * them. A call costs no HTTP/2 stream, headers, deadline timer or trailers, which is most of an
   * Execute's cost on both ends (docs/agent.md, "Session"). The controller keeps one per agent.
   * Closing the stream (or losing the connection) cancels every call still running on it. A
   * draining agent ends its sessions once their calls are done.
   */
  session(metadata: grpc.Metadata, options?: grpc.CallOptions): grpc.ClientDuplexStream<_tasker_agent_v1_SessionRequest, _tasker_agent_v1_SessionEvent__Output>;
  session(options?: grpc.CallOptions): grpc.ClientDuplexStream<_tasker_agent_v1_SessionRequest, _tasker_agent_v1_SessionEvent__Output>;
  
}

export interface AgentHandlers extends grpc.UntypedServiceImplementation {
  /**
   * Host validation (DNS, ping, optional connectivity test) run from the agent's host.
   */
  CheckHosts: grpc.handleUnaryCall<_tasker_agent_v1_CheckHostsRequest__Output, _tasker_agent_v1_CheckHostsResponse>;
  
  /**
   * Runs one task. Events: exactly one `started` (unless the program could not be spawned), any
   * number of stdout/stderr chunks in arrival order, then exactly one `finished`.
   */
  Execute: grpc.handleServerStreamingCall<_tasker_agent_v1_ExecuteRequest__Output, _tasker_agent_v1_ExecuteEvent>;
  
  /**
   * Version, exec types, load.
   */
  Info: grpc.handleUnaryCall<_tasker_agent_v1_InfoRequest__Output, _tasker_agent_v1_InfoResponse>;
  
  /**
   * Many Execute calls over one long-lived stream: each call is a message (`execute`, with a
   * call_id) and its events come back tagged with that call_id, in the order Execute would send
   * them. A call costs no HTTP/2 stream, headers, deadline timer or trailers, which is most of an
   * Execute's cost on both ends (docs/agent.md, "Session"). The controller keeps one per agent.
   * Closing the stream (or losing the connection) cancels every call still running on it. A
   * draining agent ends its sessions once their calls are done.
   */
  Session: grpc.handleBidiStreamingCall<_tasker_agent_v1_SessionRequest__Output, _tasker_agent_v1_SessionEvent>;
  
}

export interface AgentDefinition extends grpc.ServiceDefinition {
  CheckHosts: MethodDefinition<_tasker_agent_v1_CheckHostsRequest, _tasker_agent_v1_CheckHostsResponse, _tasker_agent_v1_CheckHostsRequest__Output, _tasker_agent_v1_CheckHostsResponse__Output>
  Execute: MethodDefinition<_tasker_agent_v1_ExecuteRequest, _tasker_agent_v1_ExecuteEvent, _tasker_agent_v1_ExecuteRequest__Output, _tasker_agent_v1_ExecuteEvent__Output>
  Info: MethodDefinition<_tasker_agent_v1_InfoRequest, _tasker_agent_v1_InfoResponse, _tasker_agent_v1_InfoRequest__Output, _tasker_agent_v1_InfoResponse__Output>
  Session: MethodDefinition<_tasker_agent_v1_SessionRequest, _tasker_agent_v1_SessionEvent, _tasker_agent_v1_SessionRequest__Output, _tasker_agent_v1_SessionEvent__Output>
}
