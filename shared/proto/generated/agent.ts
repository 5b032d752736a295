import type * as grpc from '@grpc/grpc-js';
import type { MessageTypeDefinition } from '@grpc/proto-loader';

import type { AgentClient as _tasker_agent_v1_AgentClient, AgentDefinition as _tasker_agent_v1_AgentDefinition } from './tasker/agent/v1/Agent.js';
import type { CallStatus as _tasker_agent_v1_CallStatus, CallStatus__Output as _tasker_agent_v1_CallStatus__Output } from './tasker/agent/v1/CallStatus.js';
import type { CheckHostsRequest as _tasker_agent_v1_CheckHostsRequest, CheckHostsRequest__Output as _tasker_agent_v1_CheckHostsRequest__Output } from './tasker/agent/v1/CheckHostsRequest.js';
import type { CheckHostsResponse as _tasker_agent_v1_CheckHostsResponse, CheckHostsResponse__Output as _tasker_agent_v1_CheckHostsResponse__Output } from './tasker/agent/v1/CheckHostsResponse.js';
import type { ExecuteEvent as _tasker_agent_v1_ExecuteEvent, ExecuteEvent__Output as _tasker_agent_v1_ExecuteEvent__Output } from './tasker/agent/v1/ExecuteEvent.js';
import type { ExecuteRequest as _tasker_agent_v1_ExecuteRequest, ExecuteRequest__Output as _tasker_agent_v1_ExecuteRequest__Output } from './tasker/agent/v1/ExecuteRequest.js';
import type { Finished as _tasker_agent_v1_Finished, Finished__Output as _tasker_agent_v1_Finished__Output } from './tasker/agent/v1/Finished.js';
import type { HostCheck as _tasker_agent_v1_HostCheck, HostCheck__Output as _tasker_agent_v1_HostCheck__Output } from './tasker/agent/v1/HostCheck.js';
import type { HostResult as _tasker_agent_v1_HostResult, HostResult__Output as _tasker_agent_v1_HostResult__Output } from './tasker/agent/v1/HostResult.js';
import type { InfoRequest as _tasker_agent_v1_InfoRequest, InfoRequest__Output as _tasker_agent_v1_InfoRequest__Output } from './tasker/agent/v1/InfoRequest.js';
import type { InfoResponse as _tasker_agent_v1_InfoResponse, InfoResponse__Output as _tasker_agent_v1_InfoResponse__Output } from './tasker/agent/v1/InfoResponse.js';
import type { SessionEvent as _tasker_agent_v1_SessionEvent, SessionEvent__Output as _tasker_agent_v1_SessionEvent__Output } from './tasker/agent/v1/SessionEvent.js';
import type { SessionRequest as _tasker_agent_v1_SessionRequest, SessionRequest__Output as _tasker_agent_v1_SessionRequest__Output } from './tasker/agent/v1/SessionRequest.js';
import type { Started as _tasker_agent_v1_Started, Started__Output as _tasker_agent_v1_Started__Output } from './tasker/agent/v1/Started.js';

type SubtypeConstructor<Constructor extends new (...args: any) => any, Subtype> = {
  new(...args: ConstructorParameters<Constructor>): Subtype;
};

export interface ProtoGrpcType {
  tasker: {
    agent: {
      v1: {
        Agent: SubtypeConstructor<typeof grpc.Client, _tasker_agent_v1_AgentClient> & { service: _tasker_agent_v1_AgentDefinition }
        CallStatus: MessageTypeDefinition<_tasker_agent_v1_CallStatus, _tasker_agent_v1_CallStatus__Output>
        CheckHostsRequest: MessageTypeDefinition<_tasker_agent_v1_CheckHostsRequest, _tasker_agent_v1_CheckHostsRequest__Output>
        CheckHostsResponse: MessageTypeDefinition<_tasker_agent_v1_CheckHostsResponse, _tasker_agent_v1_CheckHostsResponse__Output>
        ExecuteEvent: MessageTypeDefinition<_tasker_agent_v1_ExecuteEvent, _tasker_agent_v1_ExecuteEvent__Output>
        ExecuteRequest: MessageTypeDefinition<_tasker_agent_v1_ExecuteRequest, _tasker_agent_v1_ExecuteRequest__Output>
        Finished: MessageTypeDefinition<_tasker_agent_v1_Finished, _tasker_agent_v1_Finished__Output>
        HostCheck: MessageTypeDefinition<_tasker_agent_v1_HostCheck, _tasker_agent_v1_HostCheck__Output>
        HostResult: MessageTypeDefinition<_tasker_agent_v1_HostResult, _tasker_agent_v1_HostResult__Output>
        InfoRequest: MessageTypeDefinition<_tasker_agent_v1_InfoRequest, _tasker_agent_v1_InfoRequest__Output>
        InfoResponse: MessageTypeDefinition<_tasker_agent_v1_InfoResponse, _tasker_agent_v1_InfoResponse__Output>
        SessionEvent: MessageTypeDefinition<_tasker_agent_v1_SessionEvent, _tasker_agent_v1_SessionEvent__Output>
        SessionRequest: MessageTypeDefinition<_tasker_agent_v1_SessionRequest, _tasker_agent_v1_SessionRequest__Output>
        Started: MessageTypeDefinition<_tasker_agent_v1_Started, _tasker_agent_v1_Started__Output>
      }
    }
  }
}

