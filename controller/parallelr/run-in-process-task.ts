import { TaskExit } from '../../shared/exit-codes.js';
import { runCliInProcess } from '../../shared/run-cli-in-process.js';
import type { HostTallies } from '../../shared/hosts/index.js';
import type { TaskerMain } from './in-process.js';
import { DETAIL_BYTES, describeFailure, HeadBuffer, readFailureDetail } from '../../shared/failure-detail.js';
import { cancelMessage, type TaskOutcome, type TaskRunSettings } from './task-outcome.js';
import { TailBuffer } from './task-output.js';

/** Runs one `tasker …` command through the engine in this process, with its own timeout and stop (shared/run-cli-in-process.ts). */
export async function runInProcessTask(
  main: TaskerMain,
  argv: string[],
  o: TaskRunSettings & { onHostTallies: (h: HostTallies) => void },
): Promise<TaskOutcome> {
  const out = new TailBuffer(o.capture);
  const err = new TailBuffer(o.capture);
  // What the run says about a failure: its stdout's end and its stderr's start (failure-detail.ts).
  const outEnd = new TailBuffer(DETAIL_BYTES);
  const errStart = new HeadBuffer(DETAIL_BYTES);
  try {
    const r = await runCliInProcess(main, argv, {
      cwd: o.cwd,
      env: o.env,
      timeoutSeconds: o.timeoutSeconds,
      stop: o.stop,
      killGraceMs: o.killGraceMs,
      stdout: (t) => (out.push(t), outEnd.push(t)),
      stderr: (t) => (err.push(t), errStart.push(t)),
      onHostTallies: o.onHostTallies,
    });
    const code = r.exitCode;
    if (r.timedOut) return { status: 'TIMEOUT', exitCode: TaskExit.TIMED_OUT, error: `Timeout after ${o.timeoutSeconds}s`, stdout: out.result(), stderr: err.result() };
    if (r.stopped) return { status: 'CANCELLED', exitCode: code, error: cancelMessage(o.stop.reason), stdout: out.result(), stderr: err.result() };
    if (code === TaskExit.SUCCESS) return { status: 'SUCCESS', exitCode: code, error: '', stdout: out.result(), stderr: err.result() };
    const detail = readFailureDetail(code, outEnd.result().text, errStart.result());
    return { status: 'FAILED', exitCode: code, error: describeFailure(code, detail), detail, stdout: out.result(), stderr: err.result() };
  } catch (e) {
    return { status: 'ERROR', exitCode: null, error: `in-process tasker failed: ${(e as Error).message}`, stdout: out.result(), stderr: err.result() };
  }
}
