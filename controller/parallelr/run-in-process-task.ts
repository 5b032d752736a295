import type { CliIo } from '../../shared/cli-io.js';
import { TaskExit } from '../../shared/exit-codes.js';
import type { HostTallies } from '../../shared/hosts/index.js';
import type { TaskerMain } from './in-process.js';
import { DETAIL_BYTES, describeFailure, HeadBuffer, readFailureDetail } from './failure-detail.js';
import { cancelMessage, type TaskOutcome, type TaskRunSettings } from './task-outcome.js';
import { TailBuffer } from './task-output.js';

/** Runs one `tasker …` command through the engine in this process, with its own timeout and stop. */
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
  const ctl = new AbortController();
  let timedOut = false;
  const timer = setTimeout(() => {
    timedOut = true;
    ctl.abort('SIGTERM');
  }, o.timeoutSeconds * 1000);
  const onStop = () => ctl.abort(o.stop.reason === 'SIGINT' ? 'SIGINT' : 'SIGTERM');
  o.stop.addEventListener('abort', onStop, { once: true });
  const taskIo: CliIo = {
    stdout: { write: (t: string) => (out.push(t), outEnd.push(t)) },
    stderr: { write: (t: string) => (err.push(t), errStart.push(t)) },
    env: o.env,
    cwd: o.cwd,
    isTTY: false,
    signal: ctl.signal,
    onHostTallies: o.onHostTallies,
  };
  try {
    // The engine honours its abort signal; should it not settle after an abort, give up waiting
    // (kill grace + 5 s) so one stuck task cannot hold the whole run.
    const code = await settleAfterAbort(main(argv, taskIo), ctl.signal, o.killGraceMs + 5000);
    if (timedOut) return { status: 'TIMEOUT', exitCode: TaskExit.TIMED_OUT, error: `Timeout after ${o.timeoutSeconds}s`, stdout: out.result(), stderr: err.result() };
    if (o.stop.aborted) return { status: 'CANCELLED', exitCode: code, error: cancelMessage(o.stop.reason), stdout: out.result(), stderr: err.result() };
    if (code === 0) return { status: 'SUCCESS', exitCode: code, error: '', stdout: out.result(), stderr: err.result() };
    const detail = readFailureDetail(code, outEnd.result().text, errStart.result());
    return { status: 'FAILED', exitCode: code, error: describeFailure(code, detail), detail, stdout: out.result(), stderr: err.result() };
  } catch (e) {
    return { status: 'ERROR', exitCode: null, error: `in-process tasker failed: ${(e as Error).message}`, stdout: out.result(), stderr: err.result() };
  } finally {
    clearTimeout(timer);
    o.stop.removeEventListener('abort', onStop);
  }
}

/** The promise's value; once `signal` aborts, at most `graceMs` more before resolving with 125 instead. */
function settleAfterAbort(p: Promise<number>, signal: AbortSignal, graceMs: number): Promise<number> {
  return new Promise((resolve, reject) => {
    let timer: NodeJS.Timeout | undefined;
    const onAbort = () => {
      timer = setTimeout(() => resolve(125), graceMs);
    };
    if (signal.aborted) onAbort();
    else signal.addEventListener('abort', onAbort, { once: true });
    p.then(resolve, reject).finally(() => {
      clearTimeout(timer);
      signal.removeEventListener('abort', onAbort);
    });
  });
}
