// Original file: proto/agent.proto


export interface Started {
  'pid'?: (number);
}

export interface Started__Output {
  'pid': (number);
}
