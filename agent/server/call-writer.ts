import { formatSeconds, type ProcessResult } from '../../shared/exec/index.js';
import type { ExecuteRequest__Output } from '../../shared/proto/generated/tasker/agent/v1/ExecuteRequest.js';
import type { ExecuteCall } from './execute-context.js';

/** How long `started` may wait to travel with the task's first output or its end. */
const STARTED_DELAY_MS = 5;
const DEFAULT_OUTPUT_CAP = 1024 * 1024;

/** Writes one task's events to its call: started, output (with backpressure), finished. */
export interface CallWriter {
  /** False once the client canceled or the call is gone: nothing more is written. */
  writable(): boolean;
  /** The task's program started: `started` is sent with its first output or its end, or shortly. */
  noteStarted(pid: number): void;
  /** Send `started` now if it is still held back. */
  flushStarted(): void;
  /** Send output; a promise when the call's buffer is full (resolves on 'drain', cancel or close). */
  send(msg: { stdout: Buffer } | { stderr: Buffer }): Promise<void> | undefined;
  /** Send `finished` for a task that does not run (`why`), and end the call (if it is still writable). */
  notStarted(why: string, canceled: boolean): void;
  /** Send `finished` for the task's result and end the call (if it is still writable). */
  finish(result: ProcessResult, req: ExecuteRequest__Output): void;
}

/**
 * Backpressure: when the controller reads slowly, gRPC's buffer fills and write() says so; the
 * runner then stops reading the child's pipe until 'drain', so agent memory stays bounded.
 * `started` waits a moment: a short task then sends started, output and finished in one HTTP/2
 * write, and the controller wakes once per task instead of twice.
 */
export function createCallWriter(call: ExecuteCall): CallWriter {
  const writable = () => !call.cancelled && !call.destroyed;
  let startedPid: number | undefined;
  let startedTimer: NodeJS.Timeout | undefined;
  const flushStarted = () => {
    if (startedPid === undefined) return;
    clearTimeout(startedTimer);
    if (writable()) call.write({ started: { pid: startedPid } });
    startedPid = undefined;
  };
  return {
    writable,
    flushStarted,
    noteStarted(pid) {
      startedPid = pid;
      startedTimer = setTimeout(flushStarted, STARTED_DELAY_MS);
    },
    send(msg) {
      flushStarted();
      if (!writable() || call.write(msg)) return undefined;
      return new Promise<void>((resolve) => {
        const done = () => {
          call.off('drain', done);
          call.off('cancelled', done);
          call.off('close', done);
          resolve();
        };
        call.once('drain', done);
        call.once('cancelled', done);
        call.once('close', done);
      });
    },
    notStarted(why, canceled) {
      if (!writable()) return;
      call.write({ finished: { not_started: true, canceled, error: why } });
      call.end();
    },
    finish(result, req) {
      flushStarted();
      if (!writable()) return;
      const note = result.spawnError ?? (result.timedOut ? `\nProcess killed after timeout of ${formatSeconds(req.timeout_ms)} seconds` : '');
      call.write({
        finished: {
          exit_code: result.exitCode,
          signal: result.signal ?? '',
          timed_out: result.timedOut,
          canceled: result.canceled,
          duration_ms: Math.round(result.durationMs),
          truncated: Math.max(result.stdoutBytes, result.stderrBytes) > (req.output_cap || DEFAULT_OUTPUT_CAP),
          error: result.spawnError ?? '',
          stderr_note: note,
          stdout_bytes: result.stdoutBytes,
          stderr_bytes: result.stderrBytes,
        },
      });
      call.end();
    },
  };
}
