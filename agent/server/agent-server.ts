import { hostname, loadavg } from 'node:os';
import type * as grpc from '@grpc/grpc-js';
import { loadProtos } from '../../shared/proto/load-proto.js';
import { packageVersion } from '../../shared/proto/package-info.js';
import type { AgentHandlers } from '../../shared/proto/generated/tasker/agent/v1/Agent.js';
import type { HostCheck__Output } from '../../shared/proto/generated/tasker/agent/v1/HostCheck.js';
import type { HostResult } from '../../shared/proto/generated/tasker/agent/v1/HostResult.js';
import type { AgentLogger } from '../logger.js';
import { DRAINING_REFUSAL, handleExecute, type ArgvBuilder, type CancelReason, type ExecuteContext, type PeerCall } from './execute.js';
import { HealthService } from './health.js';
import { AGENT_FEATURES, CallRegistry } from './call-registry.js';
import { ConcurrencyLimiter } from './limiter.js';
import { parseListenAddress, type ListenAddress } from './listen-address.js';
import { refuseOpenTransport } from './transport-policy.js';
import { findNulField, nulFieldMessage } from './nul-bytes.js';
import { oneWriteEndInterceptor } from './one-write-end.js';
import { Session } from './session.js';
import { prepareUnixSocket, removeSocketFile, restrictSocketFile } from './unix-socket.js';
import { ConfigError } from '../../shared/errors/index.js';

export interface AgentTls {
  ca: Buffer;
  cert: Buffer;
  key: Buffer;
}

export interface AgentServerOptions {
  /**
   * `unix:PATH` (closed to other users), or HOST:PORT: with `tls`, or plaintext on a loopback host
   * only with `insecureLoopback`. A string is parsed (and may throw ConfigError).
   */
  listen: string | ListenAddress;
  tls?: AgentTls;
  /** Accept plaintext TCP on a loopback host (any local user can then run tasks). */
  insecureLoopback?: boolean;
  /** Client certificate CNs allowed to call (TLS only); empty/undefined = any cert from the CA. */
  allowClients?: string[];
  /** Exec types accepted; undefined = every type `execTypes` lists. */
  allowExec?: string[];
  /** Every exec type the registry knows (reported by Info). */
  execTypes: string[];
  maxConcurrent: number;
  maxQueue: number;
  buildArgv: ArgvBuilder;
  checkHosts: (hosts: HostCheck__Output[], checkConnectivity: boolean) => Promise<HostResult[]>;
  logger: AgentLogger;
  /**
   * Environment of the tasks (default process.env). The CLI passes its frozen snapshot, which the
   * process launcher encodes once instead of on every spawn.
   */
  env?: NodeJS.ProcessEnv;
}

export interface AgentServer {
  /** The bound port (useful with port 0); 0 on a Unix socket. */
  readonly port: number;
  readonly address: string;
  /**
   * Stop accepting work (new calls get UNAVAILABLE, health NOT_SERVING, queued calls fail), wait
   * for running tasks up to `deadlineMs`, cancel what is left (AGENT_SHUTDOWN), then shut down.
   */
  drain(deadlineMs: number): Promise<void>;
  /** Immediate stop: cancels everything. */
  close(): Promise<void>;
}

/** Start the gRPC agent: Agent + grpc.health.v1.Health, plain on loopback or mutual TLS. */
export async function startAgentServer(opts: AgentServerOptions): Promise<AgentServer> {
  const addr = typeof opts.listen === 'string' ? parseListenAddress(opts.listen) : opts.listen;
  const listen = typeof opts.listen === 'string' ? opts.listen : opts.listen.bind;
  const refused = refuseOpenTransport(addr, listen, Boolean(opts.tls), Boolean(opts.insecureLoopback));
  if (refused) throw new ConfigError(refused);
  if (opts.allowClients?.length && !opts.tls) {
    throw new ConfigError('--allow-client needs TLS (client names come from client certificates)');
  }
  const unknownExec = opts.allowExec?.filter((t) => !opts.execTypes.includes(t)) ?? [];
  if (unknownExec.length) {
    throw new ConfigError(
      `--allow-exec: unknown exec type ${unknownExec.map((t) => `\`${t}\``).join(', ')} (known: ${opts.execTypes.join(', ')})`,
    );
  }

  const grpcJs = await import('@grpc/grpc-js');
  const protos = await loadProtos();
  const limiter = new ConcurrencyLimiter(opts.maxConcurrent, opts.maxQueue);
  const health = new HealthService(grpcJs.status);
  const running = new Set<(reason: CancelReason) => void>();
  const calls = new CallRegistry();
  const idleWaiters = new Set<() => void>();
  let draining = false;
  const allowExec = opts.allowExec?.length ? new Set(opts.allowExec) : undefined;
  const allowClients = opts.allowClients?.length ? new Set(opts.allowClients) : undefined;
  const log = opts.logger;

  /** The client certificate's CN (mTLS), if any. */
  const clientName = (call: PeerCall): string | undefined => {
    const cn = call.getAuthContext()?.sslPeerCertificate?.subject?.CN;
    return Array.isArray(cn) ? cn[0] : cn;
  };
  const authorize = (call: PeerCall): string | undefined => {
    if (!allowClients) return undefined;
    const name = clientName(call);
    if (name && allowClients.has(name)) return undefined;
    return `client \`${name ?? '(no certificate name)'}\` is not allowed on this agent (--allow-client)`;
  };

  const executeContext: ExecuteContext = {
    grpc: grpcJs,
    limiter,
    logger: log,
    env: opts.env,
    buildArgv: opts.buildArgv,
    allowExec,
    authorize,
    isDraining: () => draining,
    calls,
    track: (cancel) => {
      running.add(cancel);
      return () => {
        running.delete(cancel);
        if (running.size === 0) for (const w of idleWaiters) w();
      };
    },
  };
  const sessions = new Set<Session>();

  const agentHandlers: AgentHandlers = {
    Execute: (call) => void handleExecute(executeContext, call),
    Session: (call) => {
      const denied = authorize(call);
      if (denied) return void call.emit('error', { code: grpcJs.status.PERMISSION_DENIED, details: denied });
      if (draining) {
        return void call.emit('error', { code: grpcJs.status.UNAVAILABLE, details: DRAINING_REFUSAL });
      }
      // One line when a controller connects its session and one when it goes: who, and how much.
      const client = clientName(call);
      const who = { peer: call.getPeer(), ...(client && { client }) };
      log.info('session opened', who);
      const session: Session = new Session(executeContext, call, (calls) => {
        sessions.delete(session);
        log.info('session closed', { ...who, calls });
      });
      sessions.add(session);
    },
    CheckHosts: (call, callback) => {
      const denied = authorize(call);
      if (denied) return callback({ code: grpcJs.status.PERMISSION_DENIED, details: denied });
      const nul = findNulField(call.request);
      if (nul) return callback({ code: grpcJs.status.INVALID_ARGUMENT, details: nulFieldMessage(nul) });
      const bad = call.request.hosts.findIndex((h) => !h.hostname || !opts.execTypes.includes(h.exec_type));
      if (bad >= 0) {
        const h = call.request.hosts[bad]!;
        const details = !h.hostname
          ? `hosts[${bad}].hostname must not be empty`
          : `hosts[${bad}].exec_type: unknown exec type \`${h.exec_type}\``;
        return callback({ code: grpcJs.status.INVALID_ARGUMENT, details });
      }
      opts.checkHosts(call.request.hosts, call.request.check_connectivity).then(
        (results) => callback(null, { results }),
        (err: Error) => callback({ code: grpcJs.status.INTERNAL, details: `host check failed: ${err.message}` }),
      );
    },
    Info: (call, callback) => {
      const denied = authorize(call);
      if (denied) return callback({ code: grpcJs.status.PERMISSION_DENIED, details: denied });
      callback(null, {
        version: packageVersion(),
        exec_types: allowExec ? [...allowExec] : opts.execTypes,
        running: limiter.running,
        queued: limiter.queued,
        load_average: loadavg(),
        hostname: hostname(),
        max_concurrent: limiter.maxConcurrent,
        max_queue: limiter.maxQueue,
        draining,
        features: AGENT_FEATURES,
      });
    },
  };

  const server = new grpcJs.Server({
    // Per-call bookkeeping nobody reads here (no channelz admin service is served).
    'grpc.enable_channelz': 0,
    // Controllers keep idle connections alive with pings; allow them.
    'grpc.keepalive_permit_without_calls': 1,
    'grpc.http2.min_ping_interval_without_data_ms': 1000,
    'grpc.keepalive_time_ms': 10_000,
    'grpc.keepalive_timeout_ms': 5_000,
    // A short task's response (headers, started, finished, trailers) leaves in one write.
    interceptors: [oneWriteEndInterceptor(grpcJs)],
  });
  server.addService(protos.agent.tasker.agent.v1.Agent.service, agentHandlers);
  server.addService(protos.health.grpc.health.v1.Health.service, health.handlers());
  const creds = opts.tls
    ? grpcJs.ServerCredentials.createSsl(opts.tls.ca, [{ private_key: opts.tls.key, cert_chain: opts.tls.cert }], true)
    : grpcJs.ServerCredentials.createInsecure();
  if (addr.kind === 'unix') {
    try {
      await prepareUnixSocket(addr.path);
    } catch (err) {
      throw new ConfigError(`cannot listen on ${listen}: ${(err as Error).message}`);
    }
  }
  const port = await new Promise<number>((resolve, reject) =>
    server.bindAsync(addr.bind, creds, (err, p) => (err ? reject(new ConfigError(`cannot listen on ${listen}: ${err.message}`)) : resolve(p))),
  );
  if (addr.kind === 'unix') {
    try {
      await restrictSocketFile(addr.path);
    } catch (err) {
      server.forceShutdown();
      throw new ConfigError(`cannot make ${addr.path} private (chmod 0600): ${(err as Error).message}`);
    }
  }
  const address = addr.kind === 'unix' ? addr.bind : addr.bind.replace(/:\d+$/, `:${port}`);
  log.info('agent listening', { address, tls: Boolean(opts.tls), ...(addr.kind === 'tcp' && !opts.tls && { insecureLoopback: true }), maxConcurrent: opts.maxConcurrent, maxQueue: opts.maxQueue });

  const shutdown = () =>
    new Promise<void>((resolve) => {
      const timer = setTimeout(() => {
        server.forceShutdown();
        resolve();
      }, 2000);
      server.tryShutdown(() => {
        clearTimeout(timer);
        resolve();
      });
    });

  return {
    port: addr.kind === 'unix' ? 0 : port,
    address,
    async drain(deadlineMs) {
      if (draining) return;
      draining = true;
      health.setServing(false);
      limiter.close('agent is shutting down (draining)');
      calls.stopWaiting();
      log.info('draining', { running: running.size, deadlineMs });
      if (running.size > 0) {
        await new Promise<void>((resolve) => {
          const timer = setTimeout(() => {
            log.warn('drain deadline reached; canceling running tasks', { running: running.size });
            for (const cancel of running) cancel('AGENT_SHUTDOWN');
          }, deadlineMs);
          idleWaiters.add(() => {
            clearTimeout(timer);
            resolve();
          });
        });
      }
      // Sessions stay open between calls: end them now that no call runs (new ones are refused).
      for (const session of sessions) session.endWhenIdle();
      await shutdown();
      if (addr.kind === 'unix') await removeSocketFile(addr.path);
      log.info('agent stopped');
    },
    async close() {
      draining = true;
      health.setServing(false);
      limiter.close('agent stopped');
      calls.stopWaiting();
      for (const cancel of running) cancel('AGENT_SHUTDOWN');
      server.forceShutdown();
      if (addr.kind === 'unix') await removeSocketFile(addr.path);
    },
  };
}
