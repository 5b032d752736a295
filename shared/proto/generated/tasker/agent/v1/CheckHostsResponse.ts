// Original file: proto/agent.proto

import type { HostResult as _tasker_agent_v1_HostResult, HostResult__Output as _tasker_agent_v1_HostResult__Output } from '../../../tasker/agent/v1/HostResult.js';

export interface CheckHostsResponse {
  'results'?: (_tasker_agent_v1_HostResult)[];
}

export interface CheckHostsResponse__Output {
  'results': (_tasker_agent_v1_HostResult__Output)[];
}
