// Original file: proto/agent.proto

import type { ExecuteRequest as _tasker_agent_v1_ExecuteRequest, ExecuteRequest__Output as _tasker_agent_v1_ExecuteRequest__Output } from '../../../tasker/agent/v1/ExecuteRequest.js';

export interface SessionRequest {
  /**
   * A new call, exactly as for Execute. call_id is required and must not name a call of this
   * session that is still running.
   */
  'execute'?: (_tasker_agent_v1_ExecuteRequest | null);
  /**
   * Cancel the call with this call_id, as cancelling an Execute call does: a running program's
   * process group is killed; a queued or waiting call ends without running. No event follows.
   */
  'cancel'?: (string);
  /**
   * Stop sending the output of this call until `resume` (the controller holds it); the agent
   * stops reading the program's pipes meanwhile, so the program blocks on a full pipe.
   */
  'pause'?: (string);
  'resume'?: (string);
  'request'?: "execute"|"cancel"|"pause"|"resume";
}

export interface SessionRequest__Output {
  /**
   * A new call, exactly as for Execute. call_id is required and must not name a call of this
   * session that is still running.
   */
  'execute'?: (_tasker_agent_v1_ExecuteRequest__Output | null);
  /**
   * Cancel the call with this call_id, as cancelling an Execute call does: a running program's
   * process group is killed; a queued or waiting call ends without running. No event follows.
   */
  'cancel'?: (string);
  /**
   * Stop sending the output of this call until `resume` (the controller holds it); the agent
   * stops reading the program's pipes meanwhile, so the program blocks on a full pipe.
   */
  'pause'?: (string);
  'resume'?: (string);
  'request'?: "execute"|"cancel"|"pause"|"resume";
}
