// Original file: proto/agent.proto


export interface InfoResponse {
  'version'?: (string);
  'exec_types'?: (string)[];
  'running'?: (number);
  'queued'?: (number);
  'load_average'?: (number | string)[];
  'hostname'?: (string);
  'max_concurrent'?: (number);
  'max_queue'?: (number);
  'draining'?: (boolean);
  /**
   * What this agent understands beyond the base protocol: "after_call" (pipelined Execute),
   * "session" (the Session method). A controller uses a feature only when the agent lists it; an
   * older agent would ignore the field or not know the method.
   */
  'features'?: (string)[];
}

export interface InfoResponse__Output {
  'version': (string);
  'exec_types': (string)[];
  'running': (number);
  'queued': (number);
  'load_average': (number)[];
  'hostname': (string);
  'max_concurrent': (number);
  'max_queue': (number);
  'draining': (boolean);
  /**
   * What this agent understands beyond the base protocol: "after_call" (pipelined Execute),
   * "session" (the Session method). A controller uses a feature only when the agent lists it; an
   * older agent would ignore the field or not know the method.
   */
  'features': (string)[];
}
