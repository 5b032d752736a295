// Original file: proto/agent.proto

import type { Started as _tasker_agent_v1_Started, Started__Output as _tasker_agent_v1_Started__Output } from '../../../tasker/agent/v1/Started.js';
import type { Finished as _tasker_agent_v1_Finished, Finished__Output as _tasker_agent_v1_Finished__Output } from '../../../tasker/agent/v1/Finished.js';
import type { CallStatus as _tasker_agent_v1_CallStatus, CallStatus__Output as _tasker_agent_v1_CallStatus__Output } from '../../../tasker/agent/v1/CallStatus.js';

/**
 * ExecuteEvent's members under the same names (one field number up), not an ExecuteEvent inside:
 * a decoded SessionEvent then is an ExecuteEvent for the code that consumes events, and no
 * nested message is encoded per output chunk.
 */
export interface SessionEvent {
  /**
   * The call this event belongs to.
   */
  'call_id'?: (string);
  'started'?: (_tasker_agent_v1_Started | null);
  'stdout'?: (Buffer | Uint8Array | string);
  'stderr'?: (Buffer | Uint8Array | string);
  /**
   * The call's last event when it ran (or was not started, see Finished.not_started).
   */
  'finished'?: (_tasker_agent_v1_Finished | null);
  /**
   * The call's last event when it was refused or failed: the status Execute would have ended with.
   */
  'failed'?: (_tasker_agent_v1_CallStatus | null);
  'event'?: "started"|"stdout"|"stderr"|"finished"|"failed";
}

/**
 * ExecuteEvent's members under the same names (one field number up), not an ExecuteEvent inside:
 * a decoded SessionEvent then is an ExecuteEvent for the code that consumes events, and no
 * nested message is encoded per output chunk.
 */
export interface SessionEvent__Output {
  /**
   * The call this event belongs to.
   */
  'call_id': (string);
  'started'?: (_tasker_agent_v1_Started__Output | null);
  'stdout'?: (Buffer);
  'stderr'?: (Buffer);
  /**
   * The call's last event when it ran (or was not started, see Finished.not_started).
   */
  'finished'?: (_tasker_agent_v1_Finished__Output | null);
  /**
   * The call's last event when it was refused or failed: the status Execute would have ended with.
   */
  'failed'?: (_tasker_agent_v1_CallStatus__Output | null);
  'event'?: "started"|"stdout"|"stderr"|"finished"|"failed";
}
