// Original file: proto/agent.proto


/**
 * run_id, task_id, call_id and after_call: at most 128 characters each.
 */
export interface ExecuteRequest {
  'run_id'?: (string);
  'task_id'?: (string);
  'exec_type'?: (string);
  'hostname'?: (string);
  'command'?: (string);
  /**
   * Arguments text after variable substitution, before word splitting (the agent splits it).
   */
  'arguments'?: (string);
  /**
   * Kill the process group after this many ms. 0 = no limit.
   */
  'timeout_ms'?: (number);
  /**
   * Bytes of each stream the agent keeps for the finished event's preview. 0 = default (1 MiB).
   */
  'output_cap'?: (number);
  /**
   * The caller's name for this call, unique within run_id; `after_call` of a later call refers to it.
   */
  'call_id'?: (string);
  /**
   * Pipelining: start this task only once the program of call `after_call` (same run_id) exits
   * with status 0 on its own — not killed, not timed out, not cancelled. The controller sends it
   * while that call runs, so the next task of a plain sequence starts with no round trip. When the
   * condition fails (or that call is unknown to the agent) nothing runs and `finished` says
   * `not_started`. Empty: start now.
   */
  'after_call'?: (string);
  /**
   * Values the agent must never write to its log, at any level (the run's secrets: globals whose
   * names match the secret-name list). The agent shows each as `<masked len=N>` wherever its log
   * would hold it (argv, refusals, errors). The agent does not keep them past the call.
   */
  'secret_values'?: (string)[];
}

/**
 * run_id, task_id, call_id and after_call: at most 128 characters each.
 */
export interface ExecuteRequest__Output {
  'run_id': (string);
  'task_id': (string);
  'exec_type': (string);
  'hostname': (string);
  'command': (string);
  /**
   * Arguments text after variable substitution, before word splitting (the agent splits it).
   */
  'arguments': (string);
  /**
   * Kill the process group after this many ms. 0 = no limit.
   */
  'timeout_ms': (number);
  /**
   * Bytes of each stream the agent keeps for the finished event's preview. 0 = default (1 MiB).
   */
  'output_cap': (number);
  /**
   * The caller's name for this call, unique within run_id; `after_call` of a later call refers to it.
   */
  'call_id': (string);
  /**
   * Pipelining: start this task only once the program of call `after_call` (same run_id) exits
   * with status 0 on its own — not killed, not timed out, not cancelled. The controller sends it
   * while that call runs, so the next task of a plain sequence starts with no round trip. When the
   * condition fails (or that call is unknown to the agent) nothing runs and `finished` says
   * `not_started`. Empty: start now.
   */
  'after_call': (string);
  /**
   * Values the agent must never write to its log, at any level (the run's secrets: globals whose
   * names match the secret-name list). The agent shows each as `<masked len=N>` wherever its log
   * would hold it (argv, refusals, errors). The agent does not keep them past the call.
   */
  'secret_values': (string)[];
}
