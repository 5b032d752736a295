/**
 * A small gRPC client over node:http2, for the controller's calls to an agent (unary,
 * server-streaming, and the bidirectional Session). It speaks the gRPC wire protocol (length-prefixed protobuf messages, status in
 * trailers, `grpc-timeout`) on one HTTP/2 session per agent, reopened after it breaks.
 *
 * Why not @grpc/grpc-js here: per call, grpc-js runs a resolving call, a retrying call, a
 * load-balancing call, filters and metadata conversions, which cost this 2-core machine about
 * 0.6 ms of CPU per task on top of HTTP/2 itself (SPEC §4: an agent adds ≤ ~1 ms per task; see
 * docs/benchmarks.md). The agent still serves with grpc-js, so any gRPC client can talk to it.
 */
import { EventEmitter } from 'node:events';
import http2, { type ClientHttp2Session, type ClientHttp2Stream } from 'node:http2';
import type { Duplex } from 'node:stream';

/** gRPC status codes used here (grpc/status.proto). */
export const Status = {
  OK: 0,
  CANCELLED: 1,
  UNKNOWN: 2,
  INVALID_ARGUMENT: 3,
  DEADLINE_EXCEEDED: 4,
  PERMISSION_DENIED: 7,
  RESOURCE_EXHAUSTED: 8,
  FAILED_PRECONDITION: 9,
  INTERNAL: 13,
  UNAVAILABLE: 14,
  UNAUTHENTICATED: 16,
} as const;

const STATUS_NAMES: Record<number, string> = {
  0: 'OK', 1: 'CANCELLED', 2: 'UNKNOWN', 3: 'INVALID_ARGUMENT', 4: 'DEADLINE_EXCEEDED', 5: 'NOT_FOUND',
  6: 'ALREADY_EXISTS', 7: 'PERMISSION_DENIED', 8: 'RESOURCE_EXHAUSTED', 9: 'FAILED_PRECONDITION', 10: 'ABORTED',
  11: 'OUT_OF_RANGE', 12: 'UNIMPLEMENTED', 13: 'INTERNAL', 14: 'UNAVAILABLE', 15: 'DATA_LOSS', 16: 'UNAUTHENTICATED',
};

/** "UNAVAILABLE" for 14. */
export function statusName(code: number): string {
  return STATUS_NAMES[code] ?? String(code);
}

const STREAM_WINDOW = 1024 * 1024;
const SESSION_WINDOW = 8 * 1024 * 1024;

/** A call that ended with a non-OK status. */
export class GrpcCallError extends Error {
  override name = 'GrpcCallError';
  constructor(
    readonly code: number,
    readonly details: string,
  ) {
    super(`${statusName(code)}: ${details}`);
  }
}

/** One method as @grpc/proto-loader describes it. */
export interface MethodDefinition<Req, Res> {
  path: string;
  requestSerialize(value: Req): Buffer;
  responseDeserialize(bytes: Buffer): Res;
}

export interface GrpcClientOptions {
  /** `:authority` of requests (the agent's name or address). */
  authority: string;
  /** Opens the transport (TCP, TLS or a tunnel stream) for a new session. */
  connect: () => Duplex;
  /** Ping this often while calls are active, to notice a silently dropped link. Default 5000. */
  keepaliveMs?: number;
  /** A ping not answered within this fails the session's calls (UNAVAILABLE). Default 5000. */
  keepaliveTimeoutMs?: number;
  /** Largest accepted response message. Default 8 MiB. */
  maxMessageBytes?: number;
  /**
   * Names a transport failure (the error the connection emitted: TLS verification, an alert from
   * the agent, ECONNREFUSED, EACCES); undefined keeps the error's own message. Calls that fail
   * because their connection failed report this instead of how HTTP/2 saw it end.
   */
  describeError?: (err: Error & { code?: string }) => string | undefined;
  /** Why the transport closed without an error of its own (e.g. an SSH channel the server refused). */
  explainClose?: () => string | undefined;
  /**
   * Why the transport closed, without an error, before the agent's HTTP/2 settings arrived (a TLS
   * server that rejects the client certificate just closes the connection after the handshake).
   */
  explainEarlyClose?: (socket: Duplex) => string | undefined;
}

/** A server-streaming call: 'data' (message), 'error' (GrpcCallError), 'end' after an OK status. */
export interface StreamingCall<Res> {
  on(event: 'data', listener: (message: Res) => void): this;
  on(event: 'error', listener: (err: GrpcCallError) => void): this;
  on(event: 'end', listener: () => void): this;
  /** Stop reading (HTTP/2 flow control holds the agent back) / read again. */
  pause(): void;
  resume(): void;
  /** Cancel the call (RST_STREAM CANCEL): the agent kills the task; 'error' CANCELLED follows. */
  cancel(): void;
}

/** A bidirectional call: a {@link StreamingCall} the client also writes to. No deadline. */
export interface BidiCall<Req, Res> extends StreamingCall<Res> {
  write(message: Req): void;
  /** Half-close: no more messages from us; the server ends its side when done. */
  end(): void;
  /**
   * Whether the call counts as activity: while it does, the session is pinged and keeps the
   * process alive. A long-lived call that is idle (no task on it) should not.
   */
  setActive(active: boolean): void;
}

/** The calls the controller makes to an agent, whichever client carries them (this one, grpc-js-client.ts). */
export interface AgentClient {
  unary<Req, Res>(method: MethodDefinition<Req, Res>, request: Req, deadlineMs: number): Promise<Res>;
  serverStream<Req, Res>(method: MethodDefinition<Req, Res>, request: Req, deadline: number): StreamingCall<Res>;
  bidiStream<Req, Res>(method: MethodDefinition<Req, Res>): BidiCall<Req, Res>;
  close(): void;
}

/** The client of one agent. Sessions open on first use and after the previous one broke. */
export class GrpcClient implements AgentClient {
  private session: ClientHttp2Session | undefined;
  /** Active calls and the keepalive timer of each session (an old one may still finish calls). */
  private readonly live = new Map<ClientHttp2Session, { active: number; ping: NodeJS.Timeout }>();
  private closed = false;
  /** The transport error of each session, described (see GrpcClientOptions.describeError). */
  private readonly failures = new WeakMap<ClientHttp2Session, { why?: string; answered?: boolean }>();
  private readonly keepaliveMs: number;
  private readonly keepaliveTimeoutMs: number;
  private readonly maxMessageBytes: number;

  constructor(private readonly opts: GrpcClientOptions) {
    this.keepaliveMs = opts.keepaliveMs ?? 5000;
    this.keepaliveTimeoutMs = opts.keepaliveTimeoutMs ?? 5000;
    this.maxMessageBytes = opts.maxMessageBytes ?? 8 * 1024 * 1024;
  }

  /** One request, one response. */
  unary<Req, Res>(method: MethodDefinition<Req, Res>, request: Req, deadlineMs: number): Promise<Res> {
    return new Promise((resolve, reject) => {
      let response: Res | undefined;
      const call = this.serverStream(method, request, deadlineMs);
      call.on('data', (m) => (response = m));
      call.on('error', reject);
      call.on('end', () =>
        response === undefined ? reject(new GrpcCallError(Status.INTERNAL, 'no response message')) : resolve(response),
      );
    });
  }

  /** Start a server-streaming call; the deadline is absolute (ms since the epoch). */
  serverStream<Req, Res>(method: MethodDefinition<Req, Res>, request: Req, deadline: number): StreamingCall<Res> {
    const call = new Call<Res>(method.responseDeserialize, this.maxMessageBytes);
    const stream = this.open(call, method.path, timeoutSeconds(deadline));
    if (!stream) return call;
    this.track(stream);
    stream.end(frame(method.requestSerialize(request)));
    return call;
  }

  /**
   * Start a bidirectional call; it counts as activity only while {@link BidiCall.setActive} says
   * so. It has no deadline of its own: it is long-lived, each task on it has one
   * (agent-session.ts), and while active the keepalive pings notice a peer that went silent.
   */
  bidiStream<Req, Res>(method: MethodDefinition<Req, Res>): BidiCall<Req, Res> {
    const call: Call<Res, Req> = new Call(method.responseDeserialize, this.maxMessageBytes, method.requestSerialize, (active) => {
      const session = stream?.session as ClientHttp2Session | undefined;
      if (session) active ? this.retain(session) : this.release(session);
    });
    const stream = this.open(call, method.path);
    return call;
  }

  /**
   * The call's HTTP/2 stream, with `grpc-timeout` when a timeout is given (whole seconds); when it
   * cannot be opened the call fails UNAVAILABLE on the next tick and this returns undefined.
   */
  private open(call: Call<unknown, never>, path: string, timeoutS?: number): ClientHttp2Stream | undefined {
    try {
      if (this.closed) throw new Error('client is closed');
      const headers: http2.OutgoingHttpHeaders = { ':method': 'POST', ':path': path, 'content-type': 'application/grpc', te: 'trailers' };
      if (timeoutS !== undefined) headers['grpc-timeout'] = `${timeoutS}S`;
      const session = this.openSession();
      const stream = session.request(headers);
      const failure = this.failures.get(session);
      call.attach(stream, (timeoutS ?? 0) * 1000, () => failure?.why ?? this.opts.explainClose?.());
      return stream;
    } catch (err) {
      process.nextTick(() => call.fail(Status.UNAVAILABLE, (err as Error).message));
      return undefined;
    }
  }

  /** True when the current session is known to be gone (the next call opens a new one). */
  get broken(): boolean {
    return this.session !== undefined && (this.session.closed || this.session.destroyed);
  }

  close(): void {
    this.closed = true;
    for (const { ping } of this.live.values()) clearInterval(ping);
    this.live.clear();
    const session = this.session;
    this.session = undefined;
    if (session && !session.destroyed) {
      // GOAWAY, then the socket goes even if the peer never finished the handshake.
      session.close();
      setTimeout(() => session.destroy(), 1000).unref();
    }
  }

  private openSession(): ClientHttp2Session {
    const current = this.session;
    if (current && !current.closed && !current.destroyed) return current;
    // Larger HTTP/2 receive windows than the 64 KiB default: large outputs then flow without a
    // round trip per 64 KiB. Still a bound: a paused call buffers at most one stream window.
    const failure: { why?: string; answered?: boolean } = {};
    const session = http2.connect(`http://${this.opts.authority}`, {
      createConnection: () => {
        const socket = this.opts.connect();
        socket.once('error', (err: Error & { code?: string }) => {
          failure.why ??= this.opts.describeError?.(err) ?? err.message;
        });
        socket.once('close', () => {
          if (!failure.answered) failure.why ??= this.opts.explainEarlyClose?.(socket);
        });
        return socket;
      },
      settings: { initialWindowSize: STREAM_WINDOW },
    });
    session.once('remoteSettings', () => (failure.answered = true));
    this.failures.set(session, failure);
    session.once('connect', () => session.setLocalWindowSize(SESSION_WINDOW));
    // Errors reach the streams (each fails UNAVAILABLE); the session itself must not throw.
    session.on('error', () => undefined);
    session.once('close', () => {
      if (this.session === session) this.session = undefined;
      const live = this.live.get(session);
      if (live) clearInterval(live.ping);
      this.live.delete(session);
    });
    session.once('goaway', () => {
      if (this.session === session) this.session = undefined; // new calls go to a new session
    });
    session.unref(); // an idle connection does not keep the controller alive
    this.session = session;
    return session;
  }

  /** A call counts as active until its stream closes. */
  private track(stream: ClientHttp2Stream): void {
    const session = stream.session as ClientHttp2Session;
    this.retain(session);
    stream.once('close', () => this.release(session));
  }

  /** Count a session's active calls: ping while there are any; keep the session referenced meanwhile. */
  private retain(session: ClientHttp2Session): void {
    let live = this.live.get(session);
    if (!live) {
      if (session.destroyed) return;
      session.ref();
      const ping = setInterval(() => this.ping(session), this.keepaliveMs);
      ping.unref();
      live = { active: 0, ping };
      this.live.set(session, live);
    }
    live.active++;
  }

  private release(session: ClientHttp2Session): void {
    const live = this.live.get(session);
    if (!live || --live.active > 0) return;
    clearInterval(live.ping);
    this.live.delete(session);
    if (!session.destroyed) session.unref();
  }

  private ping(session: ClientHttp2Session): void {
    if (session.destroyed || session.closed) return;
    const timer = setTimeout(() => {
      session.destroy(new Error(`keepalive ping not answered within ${this.keepaliveTimeoutMs / 1000} s`));
    }, this.keepaliveTimeoutMs);
    timer.unref();
    try {
      session.ping(() => clearTimeout(timer));
    } catch {
      clearTimeout(timer); // too many outstanding pings or closing: the next interval retries
    }
  }
}

/**
 * A call's timeout in whole seconds until `deadline` (ms since the epoch), rounded up, at least 1.
 * Whole seconds: a timer's duration picks Node's timer list, and a new duration costs a new list
 * (a priority-queue insert) on both ends for every call, where calls with the same timeout share
 * one list when their durations match. A deadline < 1 s later is immaterial next to the margin
 * the executor adds.
 */
export function timeoutSeconds(deadline: number): number {
  return Math.max(1, Math.ceil((deadline - Date.now()) / 1000));
}

/** A gRPC length-prefixed message: not compressed, 4-byte length, body. */
function frame(body: Buffer): Buffer {
  const out = Buffer.allocUnsafe(5 + body.length);
  out[0] = 0;
  out.writeUInt32BE(body.length, 1);
  body.copy(out, 5);
  return out;
}

/**
 * One call: de-frames the response, turns trailers / resets / timeouts into a status. A
 * bidirectional call also writes messages (`serialize`) and reports activity (`onActive`).
 */
class Call<Res, Req = never> extends EventEmitter implements BidiCall<Req, Res> {
  private stream: ClientHttp2Stream | undefined;
  private chunks: Buffer[] = [];
  private buffered = 0;
  private done = false;
  private status: { code: number; details: string } | undefined;
  private deadlineTimer: NodeJS.Timeout | undefined;
  private canceledLocally = false;
  /** The status came from the stream's own error (how HTTP/2 saw it end), not from the agent. */
  private statusFromTransport = false;
  /** Why the call's connection failed, when it did. */
  private transportFailure: () => string | undefined = () => undefined;

  private active = false;

  constructor(
    private readonly deserialize: (bytes: Buffer) => Res,
    private readonly maxMessageBytes: number,
    private readonly serialize?: (message: Req) => Buffer,
    private readonly onActive?: (active: boolean) => void,
  ) {
    super();
  }

  /** `timeoutMs` 0: no deadline. `transportFailure` says why the connection failed, if it did. */
  attach(stream: ClientHttp2Stream, timeoutMs: number, transportFailure?: () => string | undefined): void {
    this.stream = stream;
    if (transportFailure) this.transportFailure = transportFailure;
    if (timeoutMs > 0) {
      this.deadlineTimer = setTimeout(() => {
        this.fail(Status.DEADLINE_EXCEEDED, 'deadline exceeded');
        stream.close(http2.constants.NGHTTP2_CANCEL);
      }, timeoutMs);
    }
    stream.on('response', (headers) => {
      const http = Number(headers[':status']);
      if (http !== 200) this.status ??= { code: httpToGrpc(http), details: `HTTP status ${http} from the agent` };
      this.readStatus(headers); // trailers-only response (an error before any message)
    });
    stream.on('trailers', (trailers) => this.readStatus(trailers));
    stream.on('data', (chunk: Buffer) => this.onData(chunk));
    stream.on('error', (err: Error & { code?: string }) => {
      // nghttp2's "Protocol error": whatever answered is not an HTTP/2 (gRPC) server.
      const details = err.code === 'ERR_HTTP2_ERROR' ? `${err.message} (the peer does not speak gRPC; is this a tasker-agent port?)` : err.message;
      if (!this.status) {
        this.status = { code: Status.UNAVAILABLE, details };
        this.statusFromTransport = true;
      }
    });
    stream.once('close', () => this.onClose());
  }

  write(message: Req): void {
    const stream = this.stream;
    if (this.done || !stream || stream.destroyed || stream.writableEnded) return;
    stream.write(frame(this.serialize!(message)));
  }

  end(): void {
    if (this.stream && !this.stream.writableEnded) this.stream.end();
  }

  setActive(active: boolean): void {
    if (this.active === active || (active && this.done)) return;
    this.active = active;
    this.onActive?.(active);
  }

  pause(): void {
    this.stream?.pause();
  }

  resume(): void {
    this.stream?.resume();
  }

  cancel(): void {
    if (this.done || !this.stream) return;
    this.canceledLocally = true;
    this.stream.close(http2.constants.NGHTTP2_CANCEL);
  }

  /** End the call with an error now (no further events). */
  fail(code: number, details: string): void {
    if (this.done) return;
    this.done = true;
    this.setActive(false);
    clearTimeout(this.deadlineTimer);
    this.emit('error', new GrpcCallError(code, details));
  }

  private readStatus(headers: http2.IncomingHttpHeaders): void {
    const code = headers['grpc-status'];
    if (code === undefined) return;
    // The server is done: a bidirectional call ends our side too, so the stream closes ('end').
    if (this.stream && !this.stream.writableEnded) this.stream.end();
    const raw = headers['grpc-message'];
    const message = Array.isArray(raw) ? raw.join(',') : raw ?? '';
    let details = message;
    try {
      details = decodeURIComponent(message);
    } catch {
      // not percent-encoded after all
    }
    this.status = { code: Number(code), details };
  }

  private onData(chunk: Buffer): void {
    if (this.done) return;
    this.chunks.push(chunk);
    this.buffered += chunk.length;
    while (this.buffered >= 5) {
      const head = this.chunks[0]!.length >= 5 ? this.chunks[0]! : this.take(5, false);
      const compressed = head[0] !== 0;
      const length = head.readUInt32BE(1);
      if (compressed) return this.abort(Status.INTERNAL, 'the agent sent a compressed message (not negotiated)');
      if (length > this.maxMessageBytes) {
        return this.abort(Status.RESOURCE_EXHAUSTED, `received message larger than max (${length} vs. ${this.maxMessageBytes})`);
      }
      if (this.buffered < 5 + length) return;
      this.take(5, true);
      const body = this.take(length, true);
      let message: Res;
      try {
        message = this.deserialize(body);
      } catch (err) {
        return this.abort(Status.INTERNAL, `cannot decode a message from the agent: ${(err as Error).message}`);
      }
      this.emit('data', message);
      if (this.done) return;
    }
  }

  /** The first `n` buffered bytes as one Buffer; removed from the buffer when `consume`. */
  private take(n: number, consume: boolean): Buffer {
    const first = this.chunks[0]!;
    let out: Buffer;
    if (first.length >= n) {
      out = first.subarray(0, n);
      if (consume) {
        if (first.length === n) this.chunks.shift();
        else this.chunks[0] = first.subarray(n);
      }
    } else {
      out = Buffer.allocUnsafe(n);
      let filled = 0;
      let i = 0;
      while (filled < n) {
        const c = this.chunks[i]!;
        const part = Math.min(c.length, n - filled);
        c.copy(out, filled, 0, part);
        filled += part;
        if (consume) {
          if (part === c.length) {
            this.chunks.shift();
            continue;
          }
          this.chunks[i] = c.subarray(part);
        } else i++;
      }
    }
    if (consume) this.buffered -= n;
    return out;
  }

  private abort(code: number, details: string): void {
    this.fail(code, details);
    this.stream?.close(http2.constants.NGHTTP2_CANCEL);
  }

  private onClose(): void {
    if (this.done) return;
    const stream = this.stream!;
    let status = this.status;
    const failed = !this.canceledLocally && (!status || this.statusFromTransport) ? this.transportFailure() : undefined;
    if (this.canceledLocally) status = { code: Status.CANCELLED, details: 'cancelled by the controller' };
    else if (failed) status = { code: Status.UNAVAILABLE, details: failed };
    else if (!status) {
      const rst = stream.rstCode;
      status =
        rst === http2.constants.NGHTTP2_REFUSED_STREAM
          ? { code: Status.UNAVAILABLE, details: 'the agent refused the stream' }
          : rst === http2.constants.NGHTTP2_CANCEL
            ? { code: Status.CANCELLED, details: 'the agent cancelled the call' }
            : rst !== undefined && rst !== http2.constants.NGHTTP2_NO_ERROR
              ? { code: Status.INTERNAL, details: `the agent reset the stream (HTTP/2 error ${rst})` }
              : { code: Status.UNAVAILABLE, details: 'the connection to the agent closed' };
    }
    if (status.code !== Status.OK) return this.fail(status.code, status.details);
    if (this.buffered > 0) return this.fail(Status.INTERNAL, 'the agent ended the call inside a message');
    this.done = true;
    this.setActive(false);
    clearTimeout(this.deadlineTimer);
    this.emit('end');
  }
}

/** gRPC's mapping of HTTP status codes (doc/http-grpc-status-mapping.md). */
function httpToGrpc(http: number): number {
  switch (http) {
    case 400:
      return Status.INTERNAL;
    case 401:
      return Status.UNAUTHENTICATED;
    case 403:
      return Status.PERMISSION_DENIED;
    case 429:
    case 502:
    case 503:
    case 504:
      return Status.UNAVAILABLE;
    default:
      return Status.UNKNOWN;
  }
}
