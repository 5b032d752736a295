// Original file: proto/agent.proto

import type { Long } from '@grpc/proto-loader';

export interface Finished {
  'exit_code'?: (number);
  /**
   * Signal name that ended the process ("SIGKILL"), empty when it exited.
   */
  'signal'?: (string);
  'timed_out'?: (boolean);
  'duration_ms'?: (number);
  /**
   * The agent's capture spilled (the stream exceeded output_cap); the controller has the chunks.
   */
  'truncated'?: (boolean);
  /**
   * First bytes of stdout, only when the agent was asked for it (unused by the controller today).
   */
  'stdout_preview'?: (Buffer | Uint8Array | string);
  /**
   * Readable reason when the program could not be started (also sent as stderr_note).
   */
  'error'?: (string);
  'canceled'?: (boolean);
  'stdout_bytes'?: (number | string | Long);
  'stderr_bytes'?: (number | string | Long);
  /**
   * Text the agent added to stderr that was not streamed as a chunk (the timeout note, a spawn
   * error); the controller appends it to its captured stderr.
   */
  'stderr_note'?: (string);
  /**
   * Only for a request with `after_call`: the condition did not hold, the task was not run.
   */
  'not_started'?: (boolean);
  '_stdout_preview'?: "stdout_preview";
}

export interface Finished__Output {
  'exit_code': (number);
  /**
   * Signal name that ended the process ("SIGKILL"), empty when it exited.
   */
  'signal': (string);
  'timed_out': (boolean);
  'duration_ms': (number);
  /**
   * The agent's capture spilled (the stream exceeded output_cap); the controller has the chunks.
   */
  'truncated': (boolean);
  /**
   * First bytes of stdout, only when the agent was asked for it (unused by the controller today).
   */
  'stdout_preview'?: (Buffer);
  /**
   * Readable reason when the program could not be started (also sent as stderr_note).
   */
  'error': (string);
  'canceled': (boolean);
  'stdout_bytes': (number);
  'stderr_bytes': (number);
  /**
   * Text the agent added to stderr that was not streamed as a chunk (the timeout note, a spawn
   * error); the controller appends it to its captured stderr.
   */
  'stderr_note': (string);
  /**
   * Only for a request with `after_call`: the condition did not hold, the task was not run.
   */
  'not_started': (boolean);
  '_stdout_preview'?: "stdout_preview";
}
