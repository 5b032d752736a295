import type { HostCheck__Output } from '../../shared/proto/generated/tasker/agent/v1/HostCheck.js';
import type { HostResult } from '../../shared/proto/generated/tasker/agent/v1/HostResult.js';
import { loadProtos } from '../../shared/proto/load-proto.js';
import type { AgentLogger } from '../logger.js';
import { createAgentHandlers } from './agent-handlers.js';
import { bindAgentServer, shutdownServer, type AgentTls } from './bind-agent-server.js';
import { CallRegistry } from './call-registry.js';
import { checkServerOptions } from './check-server-options.js';
import { createAuthorizer } from './client-identity.js';
import type { ArgvBuilder, CancelReason, ExecuteContext } from './execute-context.js';
import { HealthService } from './health.js';
import { ConcurrencyLimiter } from './limiter.js';
import { parseListenAddress, type ListenAddress } from './listen-address.js';
import type { Session } from './session.js';
import { removeSocketFile } from './unix-socket.js';

export type { AgentTls } from './bind-agent-server.js';

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
  /** Between SIGTERM and SIGKILL of a cancelled or timed-out call's process group (`--kill-grace`); default 2 s. */
  killGraceMs?: number;
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
  checkServerOptions({
    addr,
    listen,
    tls: Boolean(opts.tls),
    insecureLoopback: Boolean(opts.insecureLoopback),
    allowClients: opts.allowClients,
    allowExec: opts.allowExec,
    execTypes: opts.execTypes,
  });

  const grpcJs = await import('@grpc/grpc-js');
  const protos = await loadProtos();
  const limiter = new ConcurrencyLimiter(opts.maxConcurrent, opts.maxQueue);
  const health = new HealthService(grpcJs.status);
  const running = new Set<(reason: CancelReason) => void>();
  const calls = new CallRegistry();
  const idleWaiters = new Set<() => void>();
  let draining = false;
  const log = opts.logger;

  const executeContext: ExecuteContext = {
    grpc: grpcJs,
    limiter,
    logger: log,
    env: opts.env,
    killGraceMs: opts.killGraceMs,
    buildArgv: opts.buildArgv,
    allowExec: opts.allowExec?.length ? new Set(opts.allowExec) : undefined,
    authorize: createAuthorizer(opts.allowClients?.length ? new Set(opts.allowClients) : undefined),
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
  const agentHandlers = createAgentHandlers({
    grpc: grpcJs,
    execute: executeContext,
    execTypes: opts.execTypes,
    checkHosts: opts.checkHosts,
    sessions,
  });

  const { server, port } = await bindAgentServer(grpcJs, addr, listen, opts.tls, [
    { definition: protos.agent.tasker.agent.v1.Agent.service, handlers: agentHandlers },
    { definition: protos.health.grpc.health.v1.Health.service, handlers: health.handlers() },
  ]);
  const address = addr.kind === 'unix' ? addr.bind : addr.bind.replace(/:\d+$/, `:${port}`);
  log.info('agent listening', { address, tls: Boolean(opts.tls), ...(addr.kind === 'tcp' && !opts.tls && { insecureLoopback: true }), maxConcurrent: opts.maxConcurrent, maxQueue: opts.maxQueue });

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
      await shutdownServer(server);
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
