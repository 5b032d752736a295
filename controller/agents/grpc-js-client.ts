/**
 * The controller's agent calls on @grpc/grpc-js, behind the interface of {@link GrpcClient}
 * (unary, server-streaming, the bidirectional Session), so the executor and the session do not
 * know which client carries them. Measured side by side with the own client in
 * docs/performance.md ("Wire code"); grpc-js is imported here, lazily, on a run's first agent.
 */
import { EventEmitter } from 'node:events';
import type * as Grpc from '@grpc/grpc-js';
import { GrpcCallError, Status, timeoutSeconds, type BidiCall, type MethodDefinition, type StreamingCall } from './grpc-client.js';

export interface GrpcJsClientOptions {
  /** grpc-js target: `HOST:PORT` or `unix:/path`. */
  target: string;
  credentials: Grpc.ChannelCredentials;
  /** Channel options beyond keepalive (authority, TLS name override). */
  channelOptions?: Grpc.ChannelOptions;
  keepaliveMs: number;
  keepaliveTimeoutMs: number;
  maxMessageBytes: number;
  /** Names a failure grpc-js reports only as text (an SSH channel the server refused). */
  explainUnavailable?: (details: string) => string | undefined;
}

/** Load grpc-js (on the first agent of a run). */
export function loadGrpcJs(): Promise<typeof Grpc> {
  return import('@grpc/grpc-js');
}

/** The grpc-js channel of one agent, with the calls the executor makes. */
export class GrpcJsClient {
  private readonly client: Grpc.Client;

  constructor(
    grpc: typeof Grpc,
    private readonly opts: GrpcJsClientOptions,
  ) {
    this.client = new grpc.Client(opts.target, opts.credentials, {
      ...opts.channelOptions,
      'grpc.keepalive_time_ms': opts.keepaliveMs,
      'grpc.keepalive_timeout_ms': opts.keepaliveTimeoutMs,
      'grpc.max_receive_message_length': opts.maxMessageBytes,
      'grpc.enable_retries': 0,
      'grpc.enable_channelz': 0,
    });
  }

  unary<Req, Res>(method: MethodDefinition<Req, Res>, request: Req, deadlineMs: number): Promise<Res> {
    return new Promise((resolve, reject) => {
      this.client.makeUnaryRequest(method.path, method.requestSerialize, method.responseDeserialize, request, { deadline: deadlineMs }, (err, res) =>
        err ? reject(this.callError(err)) : resolve(res!),
      );
    });
  }

  serverStream<Req, Res>(method: MethodDefinition<Req, Res>, request: Req, deadline: number): StreamingCall<Res> {
    const call = this.client.makeServerStreamRequest(method.path, method.requestSerialize, method.responseDeserialize, request, {
      deadline: Date.now() + timeoutSeconds(deadline) * 1000,
    });
    return new JsCall<Res, Req>(call, (err) => this.callError(err));
  }

  bidiStream<Req, Res>(method: MethodDefinition<Req, Res>): BidiCall<Req, Res> {
    const call = this.client.makeBidiStreamRequest(method.path, method.requestSerialize, method.responseDeserialize, {});
    return new JsCall<Res, Req>(call, (err) => this.callError(err));
  }

  /** grpc-js keeps no "session" to inspect: a broken channel reconnects by itself. */
  get broken(): boolean {
    return false;
  }

  close(): void {
    this.client.close();
  }

  private callError(err: Grpc.ServiceError): GrpcCallError {
    const details = (err.code === Status.UNAVAILABLE && this.opts.explainUnavailable?.(err.details)) || err.details;
    return new GrpcCallError(err.code, details);
  }
}

type AnyCall<Req, Res> = (Grpc.ClientReadableStream<Res> | Grpc.ClientDuplexStream<Req, Res>) & EventEmitter;

/** A grpc-js call as a {@link BidiCall}: one 'error' (GrpcCallError) or one 'end'. */
class JsCall<Res, Req> extends EventEmitter implements BidiCall<Req, Res> {
  private done = false;

  constructor(
    private readonly call: AnyCall<Req, Res>,
    toError: (err: Grpc.ServiceError) => GrpcCallError,
  ) {
    super();
    call.on('data', (m: Res) => {
      if (!this.done) this.emit('data', m);
    });
    call.on('error', (err: Grpc.ServiceError) => this.finish('error', toError(err)));
    call.on('status', (s: Grpc.StatusObject) => {
      if (s.code === Status.OK) this.finish('end');
    });
  }

  write(message: Req): void {
    if (!this.done) (this.call as Grpc.ClientDuplexStream<Req, Res>).write(message);
  }

  end(): void {
    (this.call as Grpc.ClientDuplexStream<Req, Res>).end();
  }

  /** grpc-js counts every open call as activity; an idle session is ended by its owner instead. */
  setActive(): void {}

  pause(): void {
    this.call.pause();
  }

  resume(): void {
    this.call.resume();
  }

  cancel(): void {
    if (!this.done) this.call.cancel();
  }

  private finish(event: 'end' | 'error', err?: GrpcCallError): void {
    if (this.done) return;
    this.done = true;
    if (event === 'error') this.emit('error', err);
    else this.emit('end');
  }
}
