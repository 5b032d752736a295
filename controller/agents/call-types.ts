// The calls the executor consumes, their statuses and errors, whichever client carries them.
import { TaskerError } from '../../shared/errors/index.js';

/** gRPC status codes used here (grpc/status.proto). */
export const Status = {
  OK: 0,
  CANCELLED: 1,
  UNKNOWN: 2,
  INVALID_ARGUMENT: 3,
  DEADLINE_EXCEEDED: 4,
  PERMISSION_DENIED: 7,
  RESOURCE_EXHAUSTED: 8,
  FAILED_PRECONDITION: 9,
  INTERNAL: 13,
  UNAVAILABLE: 14,
  UNAUTHENTICATED: 16,
} as const;

const STATUS_NAMES: Record<number, string> = {
  0: 'OK', 1: 'CANCELLED', 2: 'UNKNOWN', 3: 'INVALID_ARGUMENT', 4: 'DEADLINE_EXCEEDED', 5: 'NOT_FOUND',
  6: 'ALREADY_EXISTS', 7: 'PERMISSION_DENIED', 8: 'RESOURCE_EXHAUSTED', 9: 'FAILED_PRECONDITION', 10: 'ABORTED',
  11: 'OUT_OF_RANGE', 12: 'UNIMPLEMENTED', 13: 'INTERNAL', 14: 'UNAVAILABLE', 15: 'DATA_LOSS', 16: 'UNAUTHENTICATED',
};

/** "UNAVAILABLE" for 14. */
export function statusName(code: number): string {
  return STATUS_NAMES[code] ?? String(code);
}

/** A call that ended with a non-OK gRPC `status` (a {@link Status} value); `details` as the agent or transport gave them. */
export class GrpcCallError extends TaskerError {
  override name = 'GrpcCallError';
  readonly code = 'CALL';
  constructor(
    readonly status: number,
    readonly details: string,
  ) {
    super(`${statusName(status)}: ${details}`);
  }
}

/** One method as @grpc/proto-loader describes it. */
export interface MethodDefinition<Req, Res> {
  path: string;
  requestSerialize(value: Req): Buffer;
  responseDeserialize(bytes: Buffer): Res;
}

/** A server-streaming call: 'data' (message), 'error' (GrpcCallError), 'end' after an OK status. */
export interface StreamingCall<Res> {
  on(event: 'data', listener: (message: Res) => void): this;
  on(event: 'error', listener: (err: GrpcCallError) => void): this;
  on(event: 'end', listener: () => void): this;
  /** Stop reading (HTTP/2 flow control holds the agent back) / read again. */
  pause(): void;
  resume(): void;
  /** Cancel the call (RST_STREAM CANCEL): the agent kills the task; 'error' CANCELLED follows. */
  cancel(): void;
}

/** A bidirectional call: a {@link StreamingCall} the client also writes to. No deadline. */
export interface BidiCall<Req, Res> extends StreamingCall<Res> {
  write(message: Req): void;
  /** Half-close: no more messages from us; the server ends its side when done. */
  end(): void;
  /**
   * Whether the call counts as activity: while it does, the session is pinged and keeps the
   * process alive. A long-lived call that is idle (no task on it) should not.
   */
  setActive(active: boolean): void;
}

/**
 * A call's timeout in whole seconds until `deadline` (ms since the epoch), rounded up, at least 1.
 * Whole seconds: a timer's duration picks Node's timer list, and a new duration costs a new list
 * (a priority-queue insert) on both ends for every call, where calls with the same timeout share
 * one list when their durations match. A deadline < 1 s later is immaterial next to the margin
 * the executor adds.
 */
export function timeoutSeconds(deadline: number): number {
  return Math.max(1, Math.ceil((deadline - Date.now()) / 1000));
}
