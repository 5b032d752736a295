import { Writable } from 'node:stream';
import type * as grpc from '@grpc/grpc-js';

/** The Execute and Session methods' paths (proto/agent.proto). */
export const EXECUTE_PATH = '/tasker.agent.v1.Agent/Execute';
export const SESSION_PATH = '/tasker.agent.v1.Agent/Session';

/**
 * A server interceptor for Execute (and Session, whose calls' `started`, `finished` and `failed`
 * events are treated the same) that lets a short task's whole response leave in one write.
 *
 * grpc-js's writable call passes each message to the HTTP/2 stream only after the previous one was
 * written to the socket, and sends the status after the last write completed. So a task's
 * `started`, `finished` and the trailers went out as three TCP segments, each waking the
 * controller (and the agent) once more. Here the two bounded, one-per-call messages (`started`,
 * `finished`) are acknowledged as soon as the HTTP/2 stream has them: the next message and the
 * status then follow in the same tick, and Node's HTTP/2 session sends headers, messages and
 * trailers in one write. Output chunks (`stdout`, `stderr`) keep the real write callback, so
 * backpressure towards the task's pipe is unchanged.
 */
export function oneWriteEndInterceptor(grpcJs: typeof grpc): grpc.ServerInterceptor {
  const noop = () => undefined;
  class OneWriteEnd extends grpcJs.ServerInterceptingCall {
    private corked = false;
    constructor(
      next: grpc.ServerInterceptingCallInterface,
      /** grpc-js's HTTP/2 stream of the call (an internal field; without it nothing is corked). */
      private readonly stream: Writable | undefined,
    ) {
      super(next);
    }

    override sendMessage(message: { started?: unknown; finished?: unknown; failed?: unknown }, callback: () => void): void {
      // grpc-js may still hand a Session its queued requests after it ended the call with a status
      // of its own (a request it could not decode). A message written after that end breaks the
      // HTTP/2 stream before the trailers leave, and the client would wait for them forever: such
      // a message goes nowhere anyway, so it is dropped.
      if (this.stream?.writableEnded) return callback();
      if (message.started === undefined && message.finished === undefined && message.failed === undefined) {
        return super.sendMessage(message, callback);
      }
      // Messages written in this tick become one HTTP/2 write (one DATA frame after the headers).
      if (this.stream && !this.corked && !this.stream.destroyed) {
        this.corked = true;
        this.stream.cork();
        process.nextTick(() => {
          this.corked = false;
          this.stream!.uncork();
        });
      }
      super.sendMessage(message, noop);
      callback();
    }

    /**
     * The status goes out after this tick's messages have been written. Ending the HTTP/2 stream
     * in the same tick makes Node ask grpc-js for the trailers (its 'wantTrailers' handler) before
     * it writes the messages; a JS immediate runs after Node's HTTP/2 write of this tick, so the
     * messages leave first. The trailers are a separate write either way (Node sends trailers
     * from a later immediate).
     */
    override sendStatus(status: Parameters<grpc.ServerInterceptingCall['sendStatus']>[0]): void {
      setImmediate(() => super.sendStatus(status));
    }
  }
  return (method, call) => {
    // Other methods pass through untouched (grpc-js accepts any intercepting call here).
    if (method.path !== EXECUTE_PATH && method.path !== SESSION_PATH) return call as grpc.ServerInterceptingCall;
    return new OneWriteEnd(call, http2StreamOf(call));
  };
}

/**
 * grpc-js's HTTP/2 stream behind a server call: an internal field (`stream`), undefined if a
 * grpc-js version no longer has it (the agent then works as before, without merging writes;
 * test/agent/one-write-end.test.ts notices).
 */
export function http2StreamOf(call: unknown): Writable | undefined {
  const stream = (call as { stream?: unknown }).stream;
  return stream instanceof Writable ? stream : undefined;
}
