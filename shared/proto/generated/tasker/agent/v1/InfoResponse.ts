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
}
