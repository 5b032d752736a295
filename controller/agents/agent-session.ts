/**
 * The controller's end of an agent Session (proto/agent.proto): many Execute calls as messages on
 * one long-lived bidirectional stream. Each call is a {@link StreamingCall} with the events,
 * errors, pause/resume and cancel of an Execute call, so the executor treats both alike.
 *
 * Why: an Execute call costs an HTTP/2 stream, headers, a deadline and trailers on both ends, and
 * grpc-js's per-call machinery on ours; a session message costs a fraction (docs/performance.md).
 * A session with no call for IDLE_END_MS ends its stream: grpc-js keeps the process alive while
 * any call is open, and an idle session must never keep the controller alive.
 */
import { EventEmitter } from 'node:events';
import type { ExecuteEvent__Output } from '../../shared/proto/generated/tasker/agent/v1/ExecuteEvent.js';
import type { ExecuteRequest } from '../../shared/proto/generated/tasker/agent/v1/ExecuteRequest.js';
import type { SessionEvent__Output } from '../../shared/proto/generated/tasker/agent/v1/SessionEvent.js';
import type { SessionRequest } from '../../shared/proto/generated/tasker/agent/v1/SessionRequest.js';
import { GrpcCallError, Status, timeoutSeconds, type BidiCall, type GrpcClient, type MethodDefinition, type StreamingCall } from './grpc-client.js';

/** Time without calls after which a session ends its stream: longer than the gap between the tasks of a sequence. */
const IDLE_END_MS = 200;

/** The session of one agent connection; the stream opens on the first call and again after it broke. */
export class AgentSession {
  private stream: BidiCall<SessionRequest, SessionEvent__Output> | undefined;
  private readonly calls = new Map<string, SessionCall>();
  private closed = false;
  private idleTimer: NodeJS.Timeout | undefined;

  constructor(
    private readonly client: GrpcClient,
    private readonly method: MethodDefinition<SessionRequest, SessionEvent__Output>,
  ) {}

  /** Start one call (`request.call_id` names it; unique per session). `deadline`: ms since the epoch. */
  execute(request: ExecuteRequest & { call_id: string }, deadline: number): StreamingCall<ExecuteEvent__Output> {
    const call = new SessionCall(this, request.call_id, deadline);
    if (this.closed) {
      process.nextTick(() => call.fail(Status.UNAVAILABLE, 'the agent session is closed'));
      return call;
    }
    clearTimeout(this.idleTimer);
    const stream = this.open();
    this.calls.set(request.call_id, call);
    if (this.calls.size === 1) stream.setActive(true);
    stream.write({ execute: request });
    return call;
  }

  /** Half-close: the agent ends the session once its calls are done. */
  close(): void {
    this.closed = true;
    clearTimeout(this.idleTimer);
    this.stream?.end();
  }

  /** A request about a call (cancel, pause, resume) on the stream it runs on. */
  send(request: SessionRequest): void {
    this.stream?.write(request);
  }

  /** A call ended (its last event, a failure, or a cancel). */
  forget(id: string): void {
    if (!this.calls.delete(id) || this.calls.size > 0) return;
    this.stream?.setActive(false);
    clearTimeout(this.idleTimer);
    this.idleTimer = setTimeout(() => this.endIdle(), IDLE_END_MS);
    this.idleTimer.unref();
  }

  /** No call for a while: end the stream (the agent ends its side); the next call opens a new one. */
  private endIdle(): void {
    const stream = this.stream;
    if (!stream || this.calls.size > 0) return;
    this.stream = undefined;
    stream.end();
  }

  private open(): BidiCall<SessionRequest, SessionEvent__Output> {
    if (this.stream) return this.stream;
    const stream = this.client.bidiStream(this.method);
    stream.on('data', (event: SessionEvent__Output) => this.calls.get(event.call_id)?.deliver(event));
    stream.on('error', (err: GrpcCallError) => this.broken(stream, err.status, err.details));
    stream.on('end', () => this.broken(stream, Status.UNAVAILABLE, 'the agent ended the session (it is shutting down)'));
    this.stream = stream;
    return stream;
  }

  /** The stream is gone: every call on it fails with the reason; the next call opens a new one. */
  private broken(stream: BidiCall<SessionRequest, SessionEvent__Output>, code: number, details: string): void {
    if (this.stream !== stream) return;
    this.stream = undefined;
    const calls = [...this.calls.values()];
    this.calls.clear();
    for (const call of calls) call.fail(code, details);
  }
}

/** One call of a session, as the executor sees a call: 'data' events, then 'end' or 'error'. */
class SessionCall extends EventEmitter implements StreamingCall<ExecuteEvent__Output> {
  private done = false;
  private readonly deadlineTimer: NodeJS.Timeout;

  constructor(
    private readonly session: AgentSession,
    private readonly id: string,
    deadline: number,
  ) {
    super();
    // Whole seconds, as Execute's grpc-timeout: calls with the same timeout share Node's timer list.
    this.deadlineTimer = setTimeout(() => {
      this.session.send({ cancel: this.id });
      this.fail(Status.DEADLINE_EXCEEDED, 'deadline exceeded');
    }, timeoutSeconds(deadline) * 1000);
  }

  /** An event of this call; an ExecuteEvent's members under the same names (plus call_id). */
  deliver(event: SessionEvent__Output): void {
    if (this.done) return;
    if (event.event === 'failed') return this.fail(event.failed!.code, event.failed!.message);
    this.emit('data', event);
    if (event.event !== 'finished' || this.done) return;
    this.finish();
    this.emit('end');
  }

  pause(): void {
    if (!this.done) this.session.send({ pause: this.id });
  }

  resume(): void {
    if (!this.done) this.session.send({ resume: this.id });
  }

  /** The agent kills the task's process group (or does not start it); 'error' CANCELLED follows. */
  cancel(): void {
    if (this.done) return;
    this.session.send({ cancel: this.id });
    this.fail(Status.CANCELLED, 'cancelled by the controller');
  }

  fail(code: number, details: string): void {
    if (this.done) return;
    this.finish();
    this.emit('error', new GrpcCallError(code, details));
  }

  private finish(): void {
    this.done = true;
    clearTimeout(this.deadlineTimer);
    this.session.forget(this.id);
  }
}
