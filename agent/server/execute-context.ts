import type * as grpc from '@grpc/grpc-js';
import type { ExecuteEvent } from '../../shared/proto/generated/tasker/agent/v1/ExecuteEvent.js';
import type { ExecuteRequest__Output } from '../../shared/proto/generated/tasker/agent/v1/ExecuteRequest.js';
import type { AgentLogger } from '../logger.js';
import type { CallRegistry } from './call-registry.js';
import type { ConcurrencyLimiter } from './limiter.js';

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
  /** Between SIGTERM and SIGKILL of a stopped call's process group; undefined = 2 s. */
  killGraceMs?: number;
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
