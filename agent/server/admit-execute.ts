import type * as grpc from '@grpc/grpc-js';
import type { ExecuteRequest__Output } from '../../shared/proto/generated/tasker/agent/v1/ExecuteRequest.js';
import type { ExecuteCall, ExecuteContext } from './execute-context.js';
import { findNulField, nulFieldMessage } from './nul-bytes.js';

/** Largest accepted timeout: a day. The controller clamps task timeouts to 5–1000 s anyway. */
export const MAX_TIMEOUT_MS = 24 * 3600 * 1000;
/** Largest accepted output_cap (bytes kept per stream for the agent's own capture). */
export const MAX_OUTPUT_CAP = 64 * 1024 * 1024;
/** Longest accepted run_id, task_id, call_id and after_call. */
export const MAX_ID = 128;
/** Why a draining agent refuses new work (an Execute call, a Session, or a call on one). */
export const DRAINING_REFUSAL = 'agent is shutting down (draining); no new tasks accepted';

/** An Execute call refused before it runs: the status it ends with. */
export interface ExecuteRefusal {
  code: grpc.status;
  details: string;
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

/**
 * Admission of an Execute call, in order: authorization, drain, request validation, --allow-exec,
 * room for another pipelined call, and the argv of its exec type. Returns the argv or the refusal.
 */
export function admitExecute(ctx: ExecuteContext, call: ExecuteCall): { argv: string[] } | { refusal: ExecuteRefusal } {
  const { status } = ctx.grpc;
  const req = call.request;
  const refuse = (code: grpc.status, details: string) => ({ refusal: { code, details } });
  const denied = ctx.authorize(call);
  if (denied) return refuse(status.PERMISSION_DENIED, denied);
  if (ctx.isDraining()) return refuse(status.UNAVAILABLE, DRAINING_REFUSAL);
  const invalid = validateExecuteRequest(req, ctx.allowExec);
  if (invalid) return refuse(status.INVALID_ARGUMENT, invalid);
  if (ctx.allowExec && !ctx.allowExec.has(req.exec_type)) {
    return refuse(
      status.PERMISSION_DENIED,
      `exec_type \`${req.exec_type}\` is not allowed on this agent (allowed: ${[...ctx.allowExec].join(', ')})`,
    );
  }
  if (req.after_call && ctx.calls.waiting.size >= ctx.limiter.maxQueue) {
    return refuse(
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
  if ('field' in built) return refuse(status.INVALID_ARGUMENT, `${built.field}: ${built.message}`);
  return built;
}
