/**
 * The controller's gRPC client of one agent, on @grpc/grpc-js: unary calls, server-streaming
 * Execute calls and the bidirectional Session, as {@link StreamingCall}s the executor consumes the
 * same way. grpc-js is loaded by the caller, lazily, when a run first uses an agent.
 *
 * On top of grpc-js: a keepalive that names its failure (a Health check while calls are active),
 * failures of a connection that never came up named by `diagnose` (agent-client.ts), and a
 * `broken` flag so the owner opens a fresh channel rather than wait out grpc-js's reconnect backoff.
 */
import { EventEmitter } from 'node:events';
import type * as Grpc from '@grpc/grpc-js';
import { Status, GrpcCallError, type BidiCall, type MethodDefinition, type StreamingCall } from './call-types.js';

export { Status, GrpcCallError, statusName, timeoutSeconds, type BidiCall, type MethodDefinition, type StreamingCall } from './call-types.js';

/** How long close() lets the calls still open end on their own. */
const CLOSE_GRACE_MS = 2000;

export interface GrpcClientOptions {
  /** grpc-js target: `HOST:PORT` or `unix:/path`. */
  target: string;
  credentials: Grpc.ChannelCredentials;
  /** Channel options beyond the common ones (authority, TLS name override). */
  channelOptions?: Grpc.ChannelOptions;
  /** While calls are active, check the agent this often; unanswered in `keepaliveTimeoutMs`, they fail UNAVAILABLE. */
  keepaliveMs: number;
  keepaliveTimeoutMs: number;
  maxMessageBytes: number;
  /** A cheap call the keepalive makes (the Health check). */
  ping: MethodDefinition<{ service: string }, unknown>;
  /** Names why calls could not reach the agent (a fresh dial of the transport); undefined: nothing better. */
  diagnose?: () => Promise<string | undefined>;
}

/** The client of one agent; after a transport failure `broken` says to open a new one. */
export class GrpcClient {
  private readonly client: Grpc.Client;
  /** Calls that count as activity (a Session counts only while it carries tasks). */
  private readonly active = new Set<JsCall<unknown, unknown>>();
  /** Every call not ended yet: close() ends those the agent leaves open. */
  private readonly open = new Set<JsCall<unknown, unknown>>();
  private closeTimer: NodeJS.Timeout | undefined;
  private keepalive: NodeJS.Timeout | undefined;
  /** A keepalive check went unanswered: the link is taken as dead. */
  private stalled = false;
  private closed = false;

  constructor(
    private readonly grpc: typeof Grpc,
    private readonly opts: GrpcClientOptions,
  ) {
    this.client = new grpc.Client(opts.target, opts.credentials, {
      ...opts.channelOptions,
      'grpc.max_receive_message_length': opts.maxMessageBytes,
      // HTTP/2 receive window (stream and connection) larger than the 64 KiB default: large
      // outputs flow without a round trip per 64 KiB; still a bound on what a paused call buffers.
      'grpc-node.flow_control_window': 1024 * 1024,
      // A fresh client (after a failure) dials anew instead of sharing a backed-off subchannel.
      'grpc.use_local_subchannel_pool': 1,
      'grpc.enable_retries': 0,
      'grpc.enable_channelz': 0,
    });
  }

  /** One request, one response; `deadline`: ms since the epoch. */
  unary<Req, Res>(method: MethodDefinition<Req, Res>, request: Req, deadline: number): Promise<Res> {
    return new Promise((resolve, reject) => {
      this.client.makeUnaryRequest(method.path, method.requestSerialize, method.responseDeserialize, request, { deadline }, (err, res) => {
        if (!err) return resolve(res!);
        void this.callError(err, false).then(reject);
      });
    });
  }

  /** A server-streaming call; `deadline`: ms since the epoch. */
  serverStream<Req, Res>(method: MethodDefinition<Req, Res>, request: Req, deadline: number): StreamingCall<Res> {
    const inner = this.client.makeServerStreamRequest(method.path, method.requestSerialize, method.responseDeserialize, request, { deadline });
    const call = new JsCall<Res, Req>(this, inner);
    call.setActive(true);
    return call;
  }

  /** A bidirectional call without a deadline; it counts as activity only while setActive(true). */
  bidiStream<Req, Res>(method: MethodDefinition<Req, Res>): BidiCall<Req, Res> {
    return new JsCall<Res, Req>(this, this.client.makeBidiStreamRequest(method.path, method.requestSerialize, method.responseDeserialize, {}));
  }

  /**
   * The transport failed (the agent unreachable, a keepalive check unanswered): open a new client
   * for the next call. Not after a call the agent refused: other calls may still run on this one.
   */
  get broken(): boolean {
    return this.stalled || this.client.getChannel().getConnectivityState(false) === this.grpc.connectivityState.TRANSIENT_FAILURE;
  }

  /**
   * No new calls. A call still open (a Session the caller half-closed) gets CLOSE_GRACE_MS to end,
   * then is cancelled: grpc-js keeps the process alive while a call is open, and an agent that
   * hangs (its host frozen, SIGSTOP) never ends it — `tasker` stayed alive for good after its run.
   */
  close(): void {
    this.closed = true;
    clearInterval(this.keepalive);
    this.keepalive = undefined;
    this.client.close();
    if (this.open.size > 0 && !this.closeTimer) {
      this.closeTimer = setTimeout(() => {
        for (const call of [...this.open]) call.fail(Status.CANCELLED, `the agent did not end the call within ${CLOSE_GRACE_MS / 1000} s of the run's end`);
      }, CLOSE_GRACE_MS);
    }
  }

  /** @internal A call began or ended. */
  setOpen(call: JsCall<unknown, unknown>, open: boolean): void {
    if (open) this.open.add(call);
    else this.open.delete(call);
    if (this.open.size === 0) clearTimeout(this.closeTimer);
  }

  /** @internal A call counts as activity or no longer does. */
  setActive(call: JsCall<unknown, unknown>, active: boolean): void {
    if (active) this.active.add(call);
    else this.active.delete(call);
    if (this.active.size > 0 && !this.keepalive && !this.closed) {
      this.keepalive = setInterval(() => this.ping(), this.opts.keepaliveMs);
      this.keepalive.unref();
    } else if (this.active.size === 0 && this.keepalive) {
      clearInterval(this.keepalive);
      this.keepalive = undefined;
    }
  }

  /** @internal The status of a failed call, with a named cause where grpc-js has only a generic one. */
  async callError(err: Grpc.ServiceError, answered: boolean): Promise<GrpcCallError> {
    if (err.code === Status.DEADLINE_EXCEEDED) return new GrpcCallError(err.code, 'deadline exceeded');
    if (err.code !== Status.UNAVAILABLE) return new GrpcCallError(err.code, err.details);
    const named = answered ? undefined : await this.opts.diagnose?.().catch(() => undefined);
    return new GrpcCallError(err.code, named ?? err.details);
  }

  private ping(): void {
    // A call that ends after close() can still reach here from the interval's last tick.
    if (this.closed) return;
    const timeout = this.opts.keepaliveTimeoutMs;
    const method = this.opts.ping;
    this.client.makeUnaryRequest(method.path, method.requestSerialize, method.responseDeserialize, { service: '' }, { deadline: Date.now() + timeout }, (err) => {
      if (err?.code !== Status.DEADLINE_EXCEEDED || this.active.size === 0) return;
      this.stalled = true;
      for (const call of [...this.active]) call.fail(Status.UNAVAILABLE, `keepalive ping not answered within ${timeout / 1000} s`);
    });
  }
}

type AnyCall<Req, Res> = (Grpc.ClientReadableStream<Res> | Grpc.ClientDuplexStream<Req, Res>) & EventEmitter;

/** A grpc-js call as a {@link BidiCall}: 'data', then one 'error' (GrpcCallError) or one 'end'. */
class JsCall<Res, Req> extends EventEmitter implements BidiCall<Req, Res> {
  private done = false;
  private answered = false;

  constructor(
    private readonly owner: GrpcClient,
    private readonly call: AnyCall<Req, Res>,
  ) {
    super();
    owner.setOpen(this as JsCall<unknown, unknown>, true);
    call.on('metadata', () => (this.answered = true));
    call.on('data', (m: Res) => {
      this.answered = true;
      if (!this.done) this.emit('data', m);
    });
    call.on('error', (err: Grpc.ServiceError) => {
      if (this.done) return;
      this.finish();
      void owner.callError(err, this.answered).then((e) => this.emit('error', e));
    });
    // grpc-js reports the status when it arrives, before messages a paused call still holds:
    // 'end' waits for both the OK status and the last message.
    let ok = false;
    let drained = false;
    const end = () => {
      if (!ok || !drained || this.done) return;
      this.finish();
      this.emit('end');
    };
    call.on('status', (s: Grpc.StatusObject) => {
      ok = s.code === Status.OK;
      end();
    });
    call.on('end', () => {
      drained = true;
      end();
    });
  }

  write(message: Req): void {
    if (!this.done) (this.call as Grpc.ClientDuplexStream<Req, Res>).write(message);
  }

  end(): void {
    if (!this.done) (this.call as Grpc.ClientDuplexStream<Req, Res>).end();
  }

  setActive(active: boolean): void {
    if (!this.done) this.owner.setActive(this as JsCall<unknown, unknown>, active);
  }

  pause(): void {
    this.call.pause();
  }

  resume(): void {
    this.call.resume();
  }

  cancel(): void {
    if (this.done) return;
    this.finish();
    this.call.cancel();
    process.nextTick(() => this.emit('error', new GrpcCallError(Status.CANCELLED, 'cancelled by the controller')));
  }

  /** End the call with this status now (the agent sees it cancelled). */
  fail(code: number, details: string): void {
    if (this.done) return;
    this.finish();
    this.call.cancel();
    this.emit('error', new GrpcCallError(code, details));
  }

  private finish(): void {
    this.done = true;
    this.owner.setActive(this as JsCall<unknown, unknown>, false);
    this.owner.setOpen(this as JsCall<unknown, unknown>, false);
  }
}
