// Original file: proto/agent.proto

import type { HostCheck as _tasker_agent_v1_HostCheck, HostCheck__Output as _tasker_agent_v1_HostCheck__Output } from '../../../tasker/agent/v1/HostCheck.js';

export interface CheckHostsRequest {
  'hosts'?: (_tasker_agent_v1_HostCheck)[];
  'check_connectivity'?: (boolean);
}

export interface CheckHostsRequest__Output {
  'hosts': (_tasker_agent_v1_HostCheck__Output)[];
  'check_connectivity': (boolean);
}
