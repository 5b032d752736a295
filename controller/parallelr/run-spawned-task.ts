import { unlinkSync } from 'node:fs';
import { runProcess } from '../../shared/exec/index.js';
import { DETAIL_BYTES, describeFailure, HeadBuffer, readFailureDetail } from '../../shared/failure-detail.js';
import { cancelMessage, type TaskOutcome, type TaskRunSettings } from './task-outcome.js';
import { TailBuffer } from './task-output.js';
import type { TaskStatus } from './types.js';

/** Runs one task's argv as a child process in its own process group. */
export async function runSpawnedTask(argv: string[], o: TaskRunSettings): Promise<TaskOutcome> {
  const out = new TailBuffer(o.capture);
  const err = new TailBuffer(o.capture);
  // A tasker command: its stdout's end and stderr's start tell why it failed (failure-detail.ts).
  const outEnd = o.detail ? new TailBuffer(DETAIL_BYTES) : undefined;
  const errStart = o.detail ? new HeadBuffer(DETAIL_BYTES) : undefined;
  const res = await runProcess({
    argv,
    cwd: o.cwd,
    env: o.env,
    timeoutMs: o.timeoutSeconds * 1000,
    killGraceMs: o.killGraceMs,
    signal: o.stop,
    // Only the tail is kept (in TailBuffer); keep the runner's own capture small.
    captureLimit: 64 * 1024,
    previewLimit: 1024,
    onStdout: o.capture || outEnd ? (c) => (out.push(c), outEnd?.push(c)) : undefined,
    onStderr: o.capture || errStart ? (c) => (err.push(c), errStart?.push(c)) : undefined,
  });
  for (const f of [res.stdoutFile, res.stderrFile]) if (f) safeUnlink(f);
  if (res.spawnError && o.capture) err.push(res.spawnError);
  const status: TaskStatus = res.timedOut ? 'TIMEOUT' : res.canceled ? 'CANCELLED' : res.spawnError ? 'ERROR' : res.exitCode === 0 ? 'SUCCESS' : 'FAILED';
  const error =
    status === 'TIMEOUT' ? `Timeout after ${o.timeoutSeconds}s (process group killed)`
    : status === 'CANCELLED' ? cancelMessage(o.stop.reason)
    : status === 'ERROR' ? res.spawnError!
    : '';
  if (status !== 'FAILED') return { status, exitCode: res.exitCode, error, stdout: out.result(), stderr: err.result() };
  const detail = outEnd && errStart ? readFailureDetail(res.exitCode, outEnd.result().text, errStart.result()) : {};
  return { status, exitCode: res.exitCode, error: describeFailure(res.exitCode!, detail), detail, stdout: out.result(), stderr: err.result() };
}

function safeUnlink(path: string): void {
  try {
    unlinkSync(path);
  } catch {
    /* already gone */
  }
}
