import { EventEmitter } from 'node:events';
import type * as grpc from '@grpc/grpc-js';
import type { ExecuteEvent } from '../../shared/proto/generated/tasker/agent/v1/ExecuteEvent.js';
import type { ExecuteRequest__Output } from '../../shared/proto/generated/tasker/agent/v1/ExecuteRequest.js';
import type { SessionEvent } from '../../shared/proto/generated/tasker/agent/v1/SessionEvent.js';
import type { SessionRequest__Output } from '../../shared/proto/generated/tasker/agent/v1/SessionRequest.js';
import type { ExecuteCall, ExecuteContext } from './execute-context.js';
import { handleExecute } from './execute.js';

type SessionStream = grpc.ServerDuplexStream<SessionRequest__Output, SessionEvent>;

/**
 * One Session stream (proto/agent.proto): many Execute calls as messages. Each call runs through
 * the same handler as an Execute call ({@link handleExecute}); a {@link SessionCall} stands in for
 * the gRPC call and tags its events with the call_id.
 *
 * Closing rules: the client half-closing lets running calls finish, then the session ends; the
 * client going away (cancel, lost connection) cancels every call; {@link Session.endWhenIdle}
 * (a drain) ends the session once its calls are done.
 */
export class Session {
  private readonly calls = new Map<string, SessionCall>();
  private ended = false;
  private endWhenEmpty = false;
  /** Calls started on this session (for the log line when it closes). */
  private started = 0;

  constructor(
    private readonly ctx: ExecuteContext,
    readonly stream: SessionStream,
    private readonly onClose: (calls: number) => void,
  ) {
    stream.on('data', (req: SessionRequest__Output) => this.onRequest(req));
    stream.on('end', () => this.endWhenIdle()); // the client sends no more requests
    stream.on('cancelled', () => {
      this.ended = true;
      for (const call of this.calls.values()) call.cancel();
    });
    stream.on('drain', () => {
      for (const call of this.calls.values()) call.sessionDrained();
    });
    stream.on('error', () => undefined); // a broken stream reaches us as 'cancelled'
    stream.once('close', () => {
      this.ended = true;
      for (const call of this.calls.values()) call.sessionClosed();
      this.onClose(this.started);
    });
  }

  /** Writes one event; false when the stream's buffer is full (a 'drain' follows). */
  send(event: SessionEvent): boolean {
    if (this.ended || this.stream.destroyed) return true;
    return this.stream.write(event);
  }

  /** No new calls are expected: end the session as soon as no call runs on it. */
  endWhenIdle(): void {
    this.endWhenEmpty = true;
    if (this.calls.size === 0 && !this.ended) {
      this.ended = true;
      this.stream.end();
    }
  }

  private onRequest(req: SessionRequest__Output): void {
    switch (req.request) {
      case 'execute':
        return this.start(req.execute!);
      case 'cancel':
        return this.calls.get(req.cancel!)?.cancel();
      case 'pause':
        return this.calls.get(req.pause!)?.setPaused(true);
      case 'resume':
        return this.calls.get(req.resume!)?.setPaused(false);
    }
  }

  private start(request: ExecuteRequest__Output): void {
    const id = request.call_id;
    const refuse = (message: string) => this.send({ call_id: id, failed: { code: this.ctx.grpc.status.INVALID_ARGUMENT, message } });
    if (this.ended || this.endWhenEmpty) return void this.send({ call_id: id, failed: { code: this.ctx.grpc.status.UNAVAILABLE, message: 'the session is closing' } });
    if (!id) return void refuse('call_id is required for a call in a session');
    if (this.calls.has(id)) return void refuse(`call_id \`${id}\` names a call of this session that is still running`);
    const call = new SessionCall(request, this);
    this.calls.set(id, call);
    this.started++;
    void handleExecute(this.ctx, call).finally(() => {
      call.close(this.ctx.grpc.status.UNAVAILABLE);
      this.calls.delete(id);
      if (this.endWhenEmpty) this.endWhenIdle();
    });
  }
}

/**
 * One call of a session, with the surface of a grpc-js Execute call that handleExecute uses.
 * `destroyed` once its last event (finished or failed) is sent; `cancelled` once the client
 * cancelled it or went away.
 */
export class SessionCall extends EventEmitter implements ExecuteCall {
  cancelled = false;
  destroyed = false;
  private paused = false;
  /** A write answered false (session full or paused): 'drain' is owed. */
  private owesDrain = false;

  constructor(
    readonly request: ExecuteRequest__Output,
    private readonly session: Session,
  ) {
    super();
  }

  getAuthContext(): ReturnType<ExecuteCall['getAuthContext']> {
    return this.session.stream.getAuthContext();
  }

  write(event: ExecuteEvent): boolean {
    if (this.destroyed) return true;
    const room = this.session.send({ call_id: this.request.call_id, ...event } as SessionEvent);
    if (event.finished) this.destroyed = true;
    if (room && !this.paused) return true;
    this.owesDrain = true;
    return false;
  }

  /** The finished event is the call's end on a session; nothing more to send. */
  end(): void {
    this.destroyed = true;
  }

  /** grpc-js ends a server call with a status when 'error' is emitted on it; the same here. */
  override emit(event: string | symbol, ...args: unknown[]): boolean {
    if (event !== 'error') return super.emit(event, ...args);
    const status = args[0] as { code: grpc.status; details: string };
    this.fail(status.code, status.details);
    return true;
  }

  cancel(): void {
    if (this.cancelled) return;
    this.cancelled = true;
    super.emit('cancelled');
  }

  setPaused(paused: boolean): void {
    this.paused = paused;
    if (!paused) this.sessionDrained();
  }

  sessionDrained(): void {
    if (this.paused || !this.owesDrain) return;
    this.owesDrain = false;
    super.emit('drain');
  }

  sessionClosed(): void {
    this.cancel();
    super.emit('close');
  }

  /** The handler is done with the call: one that ended without its last event gets `failed{code}`. */
  close(code: grpc.status): void {
    if (this.destroyed || this.cancelled) return;
    this.fail(code, 'the agent ended the call without a result');
  }

  private fail(code: grpc.status, message: string): void {
    if (this.destroyed) return;
    this.destroyed = true;
    this.session.send({ call_id: this.request.call_id, failed: { code, message } });
  }
}
