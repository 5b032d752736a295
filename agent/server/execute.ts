import type * as grpc from '@grpc/grpc-js';
import { runProcessStartingAhead, type AheadProcess, type ProcessResult } from '../../shared/exec/index.js';
import { maskSecrets } from '../../shared/taskfile/variables.js';
import { AbortedError, BusyError } from '../../shared/errors/index.js';
import { admitExecute } from './admit-execute.js';
import { createCallWriter } from './call-writer.js';
import type { CancelReason, ExecuteCall, ExecuteContext } from './execute-context.js';
import { startAfter } from './start-after.js';
import type { ExecuteRequest__Output } from '../../shared/proto/generated/tasker/agent/v1/ExecuteRequest.js';
import type { AgentLogger } from '../logger.js';

/** The Execute handler: admission (auth, drain, validation, limits), then one runProcess, streamed. */
export async function handleExecute(ctx: ExecuteContext, call: ExecuteCall): Promise<void> {
  const { status } = ctx.grpc;
  const req = call.request;
  // The task's ids go into each line's metadata (a winston child logger per call costs more).
  const ids = { runId: req.run_id, taskId: req.task_id };
  const log = ctx.logger;
  // The run's secrets, as the controller named them: never in our log, at any level.
  const secrets = secretsToMask(req.secret_values);
  const fail = (code: grpc.status, details: string) => {
    log.warn('execute refused', { ...ids, code: status[code], details: maskSecrets(details, secrets) });
    call.emit('error', { code, details });
  };

  const admitted = admitExecute(ctx, call);
  if ('refusal' in admitted) return fail(admitted.refusal.code, admitted.refusal.details);
  const { argv } = admitted;

  const abort = new AbortController();
  let cancelReason: CancelReason | undefined;
  const cancel = (reason: CancelReason) => {
    if (abort.signal.aborted) return;
    cancelReason = reason;
    abort.abort(reason);
  };
  // The client canceled or vanished (grpc-js reports both as 'cancelled').
  call.on('cancelled', () => cancel('CANCELED'));
  const untrack = ctx.track(cancel);

  let release: (() => void) | undefined;
  const started = performance.now();
  let result: ProcessResult | undefined;
  let outcome = 'refused';
  const entry = req.call_id ? ctx.calls.add(req.run_id, req.call_id) : undefined;
  const writer = createCallWriter(call);
  try {
    let taken: AheadProcess | undefined;
    if (req.after_call) {
      const after = await startAfter(ctx, req, argv, abort.signal);
      if (after !== 'now' && 'notStarted' in after) {
        outcome = `not started: ${after.notStarted}`;
        writer.notStarted(after.notStarted, abort.signal.aborted);
        return;
      }
      // Its predecessor's program has exited: the program started ahead takes over that slot.
      if (after !== 'now') {
        taken = after.ahead;
        release = ctx.limiter.take();
      }
    }
    if (!release) try {
      release = await ctx.limiter.acquire(abort.signal);
    } catch (err) {
      if (err instanceof BusyError) return fail(status.RESOURCE_EXHAUSTED, err.message);
      if (err instanceof AbortedError) {
        outcome = 'canceled-queued';
        if (!call.cancelled) fail(status.UNAVAILABLE, `agent is shutting down: ${err.message}`);
        return;
      }
      throw err;
    }
    if (abort.signal.aborted) {
      outcome = 'canceled-queued';
      return;
    }
    logExecuting(log, req, argv, secrets);
    ({ result } = await runProcessStartingAhead({
      argv,
      env: ctx.env,
      timeoutMs: req.timeout_ms || undefined,
      signal: abort.signal,
      killGraceMs: ctx.killGraceMs,
      // The controller captures (with its own caps and spill files); the agent only relays.
      discardOutput: true,
      onSpawn: (pid, child) => {
        entry?.started(child);
        writer.noteStarted(pid);
      },
      onStdout: (chunk) => writer.send({ stdout: chunk }),
      onStderr: (chunk) => writer.send({ stderr: chunk }),
    }, { taken }));
    if (result.timedOut) cancelReason = 'TIMED_OUT';
    outcome = result.timedOut ? 'timed-out' : result.canceled ? `canceled(${cancelReason})` : `exit ${result.exitCode}`;
    writer.finish(result, req);
  } catch (err) {
    outcome = 'internal-error';
    log.error('execute failed', { ...ids, error: maskSecrets((err as Error).message, secrets) });
    if (!call.cancelled) call.emit('error', { code: status.INTERNAL, details: `agent error: ${(err as Error).message}` });
  } finally {
    entry?.end(result);
    release?.();
    const done = { ...ids, outcome, durationMs: Math.round(performance.now() - started), pid: result?.pid, ...(req.after_call && { after: req.after_call }) };
    // Logged right after the response has left (Node's HTTP/2 session writes it before JS
    // immediates run), so the log line is not in the task's round trip. A drain waits for it.
    setImmediate(() => {
      log.info('execute done', done);
      untrack();
    });
  }
}

/** The values to mask, longest first (a secret inside a longer one is masked with it). */
function secretsToMask(values: readonly string[] | undefined): string[] {
  return values?.length ? [...values].sort((a, b) => b.length - a.length) : [];
}

/** The debug line of a task about to run, its secrets masked. */
function logExecuting(log: AgentLogger, req: ExecuteRequest__Output, argv: string[], secrets: string[]): void {
  // winston formats a message before its transport drops it by level: skip that work per task.
  if (!log.isDebugEnabled()) return;
  const masked = argv.map((a) => maskSecrets(a, secrets));
  log.debug('execute', { runId: req.run_id, taskId: req.task_id, execType: req.exec_type, hostname: maskSecrets(req.hostname, secrets), argv: masked });
}
