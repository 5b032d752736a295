// Original file: proto/agent.proto


export interface CallStatus {
  /**
   * A gRPC status code (INVALID_ARGUMENT, PERMISSION_DENIED, RESOURCE_EXHAUSTED, UNAVAILABLE, ...).
   */
  'code'?: (number);
  'message'?: (string);
}

export interface CallStatus__Output {
  /**
   * A gRPC status code (INVALID_ARGUMENT, PERMISSION_DENIED, RESOURCE_EXHAUSTED, UNAVAILABLE, ...).
   */
  'code': (number);
  'message': (string);
}
