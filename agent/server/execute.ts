import type * as grpc from '@grpc/grpc-js';
import { formatSeconds, runProcessStartingAhead } from '../../shared/exec/index.js';
import type { AheadProcess } from '../../shared/exec/index.js';
import type { ProcessResult } from '../../shared/exec/index.js';
import type { ExecuteEvent } from '../../shared/proto/generated/tasker/agent/v1/ExecuteEvent.js';
import type { ExecuteRequest__Output } from '../../shared/proto/generated/tasker/agent/v1/ExecuteRequest.js';
import { maskSecrets } from '../../shared/taskfile/variables.js';
import type { AgentLogger } from '../logger.js';
import type { CallRegistry } from './call-registry.js';
import { type ConcurrencyLimiter } from './limiter.js';
import { findNulField, nulFieldMessage } from './nul-bytes.js';
import { AbortedError, BusyError } from '../../shared/errors/index.js';

/** Largest accepted timeout: a day. The controller clamps task timeouts to 5–1000 s anyway. */
export const MAX_TIMEOUT_MS = 24 * 3600 * 1000;
/** Largest accepted output_cap (bytes kept per stream for the agent's own capture). */
export const MAX_OUTPUT_CAP = 64 * 1024 * 1024;
const DEFAULT_OUTPUT_CAP = 1024 * 1024;
/** Longest accepted run_id, task_id, call_id and after_call. */
export const MAX_ID = 128;
/** Why a draining agent refuses new work (an Execute call, a Session, or a call on one). */
export const DRAINING_REFUSAL = 'agent is shutting down (draining); no new tasks accepted';
/** How long `started` may wait to travel with the task's first output or its end. */
const STARTED_DELAY_MS = 5;

/** Why a run was cut short by the agent (Temporal-style cancellation reasons). */
export type CancelReason = 'TIMED_OUT' | 'CANCELED' | 'AGENT_SHUTDOWN';

/** Turns a request into argv with the shared exec-type registry; returns an error naming the field. */
export type ArgvBuilder = (req: {
  execType: string;
  hostname: string;
  command: string;
  arguments: string;
}) => { argv: string[] } | { field: string; message: string };

export interface ExecuteContext {
  grpc: typeof grpc;
  limiter: ConcurrencyLimiter;
  logger: AgentLogger;
  /** Environment of the tasks; undefined = process.env. */
  env?: NodeJS.ProcessEnv;
  buildArgv: ArgvBuilder;
  /** Exec types the agent accepts (after --allow-exec). */
  allowExec?: ReadonlySet<string>;
  /** Checked before anything else; returns a PERMISSION_DENIED message or undefined. */
  authorize: (call: PeerCall) => string | undefined;
  isDraining: () => boolean;
  /** Calls by (run_id, call_id), for pipelined calls (`after_call`). */
  calls: CallRegistry;
  /** Registers a running call so a drain deadline can cancel it; returns the unregister function. */
  track: (cancel: (reason: CancelReason) => void) => () => void;
}

/** The part of a server call that carries the client's TLS identity. */
export interface PeerCall {
  getAuthContext(): { sslPeerCertificate?: { subject?: { CN?: string | string[] } } } | null;
}

/**
 * What the handler needs of a call: a grpc-js Execute call, or one call of a Session stream
 * (session.ts). As with grpc-js, emitting 'error' with a status ends the call with that status.
 */
export interface ExecuteCall extends PeerCall {
  readonly request: ExecuteRequest__Output;
  readonly cancelled: boolean;
  readonly destroyed: boolean;
  /** False: stop producing until 'drain'. */
  write(event: ExecuteEvent): boolean;
  end(): void;
  emit(event: 'error', status: { code: grpc.status; details: string }): boolean;
  on(event: 'cancelled', listener: () => void): this;
  once(event: 'drain' | 'cancelled' | 'close', listener: () => void): this;
  off(event: 'drain' | 'cancelled' | 'close', listener: () => void): this;
}

/** Validate the request; the message names the field as the controller sent it. */
export function validateExecuteRequest(req: ExecuteRequest__Output, allowExec?: ReadonlySet<string>): string | undefined {
  const nul = findNulField(req);
  if (nul) return nulFieldMessage(nul);
  if (!req.exec_type) return 'exec_type is required';
  if (allowExec && !allowExec.has(req.exec_type)) return undefined; // PERMISSION_DENIED, decided by the caller
  if (!req.command.trim()) return 'command must not be empty';
  if (!Number.isInteger(req.timeout_ms) || req.timeout_ms > MAX_TIMEOUT_MS) {
    return `timeout_ms must be 0 (no limit) to ${MAX_TIMEOUT_MS}, got ${req.timeout_ms}`;
  }
  if (req.output_cap > MAX_OUTPUT_CAP) return `output_cap must be at most ${MAX_OUTPUT_CAP} bytes, got ${req.output_cap}`;
  // The agent logs these and keeps them for pipelined calls to find: short names, not payloads.
  for (const field of ['run_id', 'task_id', 'call_id', 'after_call'] as const) {
    if (req[field].length > MAX_ID) return `${field} must be at most ${MAX_ID} characters, got ${req[field].length}`;
  }
  return undefined;
}

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

  const denied = ctx.authorize(call);
  if (denied) return fail(status.PERMISSION_DENIED, denied);
  if (ctx.isDraining()) return fail(status.UNAVAILABLE, DRAINING_REFUSAL);
  const invalid = validateExecuteRequest(req, ctx.allowExec);
  if (invalid) return fail(status.INVALID_ARGUMENT, invalid);
  if (ctx.allowExec && !ctx.allowExec.has(req.exec_type)) {
    return fail(
      status.PERMISSION_DENIED,
      `exec_type \`${req.exec_type}\` is not allowed on this agent (allowed: ${[...ctx.allowExec].join(', ')})`,
    );
  }
  if (req.after_call && ctx.calls.waiting.size >= ctx.limiter.maxQueue) {
    return fail(
      status.RESOURCE_EXHAUSTED,
      `agent busy: ${ctx.calls.waiting.size} pipelined tasks already wait for their predecessors (--max-queue ${ctx.limiter.maxQueue})`,
    );
  }
  const built = ctx.buildArgv({
    execType: req.exec_type,
    hostname: req.hostname,
    command: req.command,
    arguments: req.arguments,
  });
  if ('field' in built) return fail(status.INVALID_ARGUMENT, `${built.field}: ${built.message}`);

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
  try {
    let taken: AheadProcess | undefined;
    if (req.after_call) {
      const after = await startAfter(ctx, req, built.argv, abort.signal);
      if (after !== 'now' && 'notStarted' in after) {
        outcome = `not started: ${after.notStarted}`;
        if (!call.cancelled && !call.destroyed) {
          call.write({ finished: { not_started: true, canceled: abort.signal.aborted, error: after.notStarted } });
          call.end();
        }
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
    // winston formats a message before its transport drops it by level: skip that work per task.
    if (log.isDebugEnabled()) {
      const argv = built.argv.map((a) => maskSecrets(a, secrets));
      log.debug('execute', { ...ids, execType: req.exec_type, hostname: maskSecrets(req.hostname, secrets), argv });
    }
    const writable = () => !call.cancelled && !call.destroyed;
    // Backpressure: when the controller reads slowly, gRPC's buffer fills and write() says so;
    // the runner then stops reading the child's pipe until 'drain', so agent memory stays bounded.
    // `started` waits a moment: a short task then sends started, output and finished in one
    // HTTP/2 write, and the controller wakes once per task instead of twice.
    let startedPid: number | undefined;
    let startedTimer: NodeJS.Timeout | undefined;
    const flushStarted = () => {
      if (startedPid === undefined) return;
      clearTimeout(startedTimer);
      if (writable()) call.write({ started: { pid: startedPid } });
      startedPid = undefined;
    };
    const send = (msg: { stdout: Buffer } | { stderr: Buffer }): Promise<void> | undefined => {
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
    };
    ({ result } = await runProcessStartingAhead({
      argv: built.argv,
      env: ctx.env,
      timeoutMs: req.timeout_ms || undefined,
      signal: abort.signal,
      // The controller captures (with its own caps and spill files); the agent only relays.
      discardOutput: true,
      onSpawn: (pid, child) => {
        entry?.started(child);
        startedPid = pid;
        startedTimer = setTimeout(flushStarted, STARTED_DELAY_MS);
      },
      onStdout: (chunk) => send({ stdout: chunk }),
      onStderr: (chunk) => send({ stderr: chunk }),
    }, { taken }));
    if (result.timedOut) cancelReason = 'TIMED_OUT';
    outcome = result.timedOut ? 'timed-out' : result.canceled ? `canceled(${cancelReason})` : `exit ${result.exitCode}`;
    flushStarted();
    if (writable()) {
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
    }
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

/** What a pipelined call does: take over a program the launcher started ahead, start now, or not run (why). */
type After = { ahead: AheadProcess } | 'now' | { notStarted: string };

const PREDECESSOR_FAILED = { notStarted: 'its predecessor did not exit with status 0 on its own' };

/**
 * A pipelined call: waits for the call it follows and decides. Started ahead by the launcher when that
 * call's program runs under the launcher (this task starts the moment it exits with status 0,
 * without a turn of our event loop); 'now' when it ended with status 0 on its own (start the
 * ordinary way); otherwise why it does not run. Cancelling the call while it waits (or the
 * agent draining) cancels it.
 */
async function startAfter(ctx: ExecuteContext, req: ExecuteRequest__Output, argv: string[], signal: AbortSignal): Promise<After> {
  const pred = ctx.calls.get(req.run_id, req.after_call);
  if (!pred) return { notStarted: `call \`${req.after_call}\` of run ${req.run_id} is not known to this agent` };
  if (signal.aborted) return { notStarted: 'cancelled while waiting for its predecessor' };
  let cancel!: () => void;
  const stopped = new Promise<{ notStarted: string }>((resolve) => {
    cancel = () => resolve({ notStarted: signal.aborted ? 'cancelled while waiting for its predecessor' : 'the agent is draining' });
    signal.addEventListener('abort', cancel, { once: true });
    ctx.calls.waiting.add(cancel);
  });
  try {
    const child = await Promise.race([pred.child, stopped]);
    if (child && 'notStarted' in child) return child;
    if (child?.startAhead) {
      const ahead = child.startAhead(argv, undefined, ctx.env ?? process.env);
      void stopped.then(() => ahead.cancel());
      try {
        return (await ahead.started) ? { ahead } : PREDECESSOR_FAILED;
      } catch (e) {
        return { notStarted: `could not be started: ${(e as Error).message}` };
      }
    }
    const r = await Promise.race([pred.result, stopped]);
    if (r && 'notStarted' in r) return r;
    return r && r.exitCode === 0 && !r.timedOut && !r.canceled && !r.spawnError ? 'now' : PREDECESSOR_FAILED;
  } finally {
    signal.removeEventListener('abort', cancel);
    ctx.calls.waiting.delete(cancel);
  }
}
