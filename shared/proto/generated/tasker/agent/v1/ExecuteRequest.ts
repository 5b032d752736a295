// Original file: proto/agent.proto


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
}

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
}
