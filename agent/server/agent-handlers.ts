import { hostname, loadavg } from 'node:os';
import type * as grpc from '@grpc/grpc-js';
import { packageVersion } from '../../shared/proto/package-info.js';
import type { AgentHandlers } from '../../shared/proto/generated/tasker/agent/v1/Agent.js';
import type { HostCheck__Output } from '../../shared/proto/generated/tasker/agent/v1/HostCheck.js';
import type { HostResult } from '../../shared/proto/generated/tasker/agent/v1/HostResult.js';
import { AGENT_FEATURES } from './call-registry.js';
import { readClientName } from './client-identity.js';
import { DRAINING_REFUSAL } from './admit-execute.js';
import type { ExecuteContext } from './execute-context.js';
import { handleExecute } from './execute.js';
import { findNulField, nulFieldMessage } from './nul-bytes.js';
import { Session } from './session.js';

/** What the Agent service's handlers share with the server that runs them. */
export interface AgentHandlerDeps {
  grpc: typeof grpc;
  /** Carries the limiter, logger, authorization and drain state the handlers use. */
  execute: ExecuteContext;
  /** Every exec type the registry knows. */
  execTypes: string[];
  checkHosts: (hosts: HostCheck__Output[], checkConnectivity: boolean) => Promise<HostResult[]>;
  /** The open sessions (a drain ends them). */
  sessions: Set<Session>;
}

/** The handlers of the Agent service: Execute, Session, CheckHosts and Info. */
export function createAgentHandlers(deps: AgentHandlerDeps): AgentHandlers {
  const ctx = deps.execute;
  const { status } = deps.grpc;
  const log = ctx.logger;
  return {
    Execute: (call) => void handleExecute(ctx, call),
    Session: (call) => {
      const denied = ctx.authorize(call);
      if (denied) return void call.emit('error', { code: status.PERMISSION_DENIED, details: denied });
      if (ctx.isDraining()) {
        return void call.emit('error', { code: status.UNAVAILABLE, details: DRAINING_REFUSAL });
      }
      // One line when a controller connects its session and one when it goes: who, and how much.
      const client = readClientName(call);
      const who = { peer: call.getPeer(), ...(client && { client }) };
      log.info('session opened', who);
      const session: Session = new Session(ctx, call, (calls) => {
        deps.sessions.delete(session);
        log.info('session closed', { ...who, calls });
      });
      deps.sessions.add(session);
    },
    CheckHosts: (call, callback) => {
      const denied = ctx.authorize(call);
      if (denied) return callback({ code: status.PERMISSION_DENIED, details: denied });
      const nul = findNulField(call.request);
      if (nul) return callback({ code: status.INVALID_ARGUMENT, details: nulFieldMessage(nul) });
      const bad = call.request.hosts.findIndex((h) => !h.hostname || !deps.execTypes.includes(h.exec_type));
      if (bad >= 0) {
        const h = call.request.hosts[bad]!;
        const details = !h.hostname
          ? `hosts[${bad}].hostname must not be empty`
          : `hosts[${bad}].exec_type: unknown exec type \`${h.exec_type}\``;
        return callback({ code: status.INVALID_ARGUMENT, details });
      }
      deps.checkHosts(call.request.hosts, call.request.check_connectivity).then(
        (results) => callback(null, { results }),
        (err: Error) => callback({ code: status.INTERNAL, details: `host check failed: ${err.message}` }),
      );
    },
    Info: (call, callback) => {
      const denied = ctx.authorize(call);
      if (denied) return callback({ code: status.PERMISSION_DENIED, details: denied });
      callback(null, {
        version: packageVersion(),
        exec_types: ctx.allowExec ? [...ctx.allowExec] : deps.execTypes,
        running: ctx.limiter.running,
        queued: ctx.limiter.queued,
        load_average: loadavg(),
        hostname: hostname(),
        max_concurrent: ctx.limiter.maxConcurrent,
        max_queue: ctx.limiter.maxQueue,
        draining: ctx.isDraining(),
        features: AGENT_FEATURES,
      });
    },
  };
}
