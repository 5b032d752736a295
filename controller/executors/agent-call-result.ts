/** The result of one Execute call on an agent: its events into the request's callbacks and bounded captures. */
import { StreamCapture, applyCaptures } from '../../shared/exec/index.js';
import { FedOutput } from '../../shared/exec/index.js';
import type { ExecRequest, ProcessResult } from '../../shared/exec/index.js';
import { cancelExitCode } from '../../shared/exec/index.js';
import type { ExecuteEvent__Output } from '../../shared/proto/generated/tasker/agent/v1/ExecuteEvent.js';
import type { Finished__Output } from '../../shared/proto/generated/tasker/agent/v1/Finished.js';
import { GrpcCallError, Status, statusName, type StreamingCall } from '../agents/index.js';
import { HeldCall } from './agent-start-ahead.js';
import { TaskExit } from '../../shared/exit-codes.js';

/** Exit code of a task whose agent could not be reached, refused it, or was lost mid-task. */
export const AGENT_LOST_EXIT_CODE = TaskExit.UNREACHABLE;

/** One Execute call: live chunks to the request's callbacks and into bounded captures. */
export function consumeExecute(
  call: StreamingCall<ExecuteEvent__Output>,
  captureLimit: number,
  req: ExecRequest,
  who: string,
  argv: string[],
  base: () => ProcessResult,
  started: number,
  spillDir: string | undefined,
  marginMs: number,
): Promise<ProcessResult> {
  const common = { captureLimit, previewLimit: Math.min(100 * 1024, captureLimit), spillDir, pid: process.pid };
  // The chunks of each stream go through a fed output (as the launcher's are) into a bounded
  // capture. Backpressure: while a capture is held (spill file behind, slow live consumer), its
  // output asks to stop ('P') and the call stops reading (HTTP/2 flow control holds the agent
  // back) until every held stream has let go ('R').
  const held = new Set<FedOutput>();
  const flow = (src: FedOutput, op: 'P' | 'R' | 'C'): void => {
    if (op === 'P') {
      held.add(src);
      call.pause();
    } else if (op === 'R' && held.delete(src) && held.size === 0) {
      call.resume();
    }
  };
  const outSrc: FedOutput = new FedOutput((op) => flow(outSrc, op));
  const errSrc: FedOutput = new FedOutput((op) => flow(errSrc, op));
  const out = new StreamCapture(outSrc, { ...common, kind: 'stdout', onChunk: req.onStdout });
  const err = new StreamCapture(errSrc, { ...common, kind: 'stderr', onChunk: req.onStderr });

  return new Promise<ProcessResult>((resolve) => {
    let pid: number | undefined;
    let finished: Finished__Output | undefined;
    let settled = false;
    let canceledBy: unknown;
    let stderrSeen = 0;
    let failure: string | undefined;
    /** The call failed before the agent started anything: the agent could not be reached. */
    let unreachable = false;
    const onAbort = () => {
      canceledBy = req.signal!.reason;
      call.cancel(); // the agent kills the process group
    };
    req.signal?.addEventListener('abort', onAbort, { once: true });

    const settle = async () => {
      if (settled) return;
      settled = true;
      req.signal?.removeEventListener('abort', onAbort);
      outSrc.end();
      errSrc.end();
      const r = base();
      if (pid !== undefined) r.pid = pid;
      if (finished) {
        r.exitCode = finished.exit_code;
        r.signal = (finished.signal || null) as NodeJS.Signals | null;
        r.timedOut = finished.timed_out;
        r.canceled = finished.canceled;
        if (finished.stderr_note) err.append(Buffer.from(finished.stderr_note));
        if (finished.error) r.spawnError = finished.error;
      } else if (canceledBy !== undefined) {
        r.canceled = true;
        r.exitCode = cancelExitCode(canceledBy);
      } else {
        r.exitCode = AGENT_LOST_EXIT_CODE;
        const why = `tasker: ${failure ?? `agent ${who} ended the task without a result`}`;
        err.append(Buffer.from(stderrSeen > 0 ? `\n${why}` : why));
        r.spawnError = why;
        if (unreachable) r.unreachable = true;
      }
      await Promise.all([out.done, err.done]);
      const [o, e] = await Promise.all([out.result(), err.result()]);
      applyCaptures(r, o, e);
      r.durationMs = performance.now() - started;
      resolve(r);
    };

    call.on('data', (ev: ExecuteEvent__Output) => {
      if (settled) return; // nothing follows `finished` from a well-behaved agent
      switch (ev.event) {
        case 'started':
          pid = ev.started!.pid;
          break;
        case 'stdout':
          outSrc.feed(ev.stdout!);
          break;
        case 'stderr':
          stderrSeen += ev.stderr!.length;
          errSrc.feed(ev.stderr!);
          break;
        case 'finished':
          // The last message: the result is complete. Settle now rather than after the trailers
          // (Node's HTTP/2 server sends them in a later write), so the next task need not wait
          // for that packet. A status that follows cannot change the result (see settle).
          finished = ev.finished!;
          void settle();
          break;
      }
    });
    call.on('error', (e: GrpcCallError) => {
      if (canceledBy !== undefined && e.status === Status.CANCELLED) return void settle();
      const detail = e.details;
      const code = statusName(e.status);
      let why: string;
      const refusals: number[] = [Status.INVALID_ARGUMENT, Status.PERMISSION_DENIED, Status.RESOURCE_EXHAUSTED, Status.UNAUTHENTICATED, Status.FAILED_PRECONDITION];
      if (refusals.includes(e.status)) {
        why = `agent ${who} refused the task (${code}): ${detail}`;
      } else if (e.status === Status.DEADLINE_EXCEEDED) {
        why = `agent ${who} did not finish the task within its timeout plus ${marginMs / 1000} s; giving up (the agent kills it)`;
      } else if (pid !== undefined) {
        why = `agent ${who} lost during the task (remote pid ${pid}): ${code}: ${detail}`;
      } else {
        why = `agent ${who} not reachable: ${code}: ${detail}`;
        unreachable = true;
      }
      failure = why;
      void settle(); // chunks already delivered are in the captures; no 'end' follows an error
    });
    call.on('end', () => void settle());
    if (call instanceof HeldCall) call.release();
    if (req.signal?.aborted) onAbort(); // a call sent ahead, taken while the run is being stopped
  });
}
