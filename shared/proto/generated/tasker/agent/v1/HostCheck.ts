// Original file: proto/agent.proto


export interface HostCheck {
  'hostname'?: (string);
  'exec_type'?: (string);
}

export interface HostCheck__Output {
  'hostname': (string);
  'exec_type': (string);
}
