// Original file: proto/agent.proto

import type { Started as _tasker_agent_v1_Started, Started__Output as _tasker_agent_v1_Started__Output } from '../../../tasker/agent/v1/Started.js';
import type { Finished as _tasker_agent_v1_Finished, Finished__Output as _tasker_agent_v1_Finished__Output } from '../../../tasker/agent/v1/Finished.js';

export interface ExecuteEvent {
  'started'?: (_tasker_agent_v1_Started | null);
  'stdout'?: (Buffer | Uint8Array | string);
  'stderr'?: (Buffer | Uint8Array | string);
  'finished'?: (_tasker_agent_v1_Finished | null);
  'event'?: "started"|"stdout"|"stderr"|"finished";
}

export interface ExecuteEvent__Output {
  'started'?: (_tasker_agent_v1_Started__Output | null);
  'stdout'?: (Buffer);
  'stderr'?: (Buffer);
  'finished'?: (_tasker_agent_v1_Finished__Output | null);
  'event'?: "started"|"stdout"|"stderr"|"finished";
}
