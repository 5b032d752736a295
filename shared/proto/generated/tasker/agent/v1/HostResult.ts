// Original file: proto/agent.proto


export interface HostResult {
  'hostname'?: (string);
  'exec_type'?: (string);
  'ok'?: (boolean);
  /**
   * One readable line per problem found ("web01: does not resolve").
   */
  'problems'?: (string)[];
}

export interface HostResult__Output {
  'hostname': (string);
  'exec_type': (string);
  'ok': (boolean);
  /**
   * One readable line per problem found ("web01: does not resolve").
   */
  'problems': (string)[];
}
