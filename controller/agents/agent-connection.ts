import { readFile } from 'node:fs/promises';
import type * as grpcTypes from '@grpc/grpc-js';
import { loadProtos } from '../../shared/proto/load-proto.js';
import type { AgentClient } from '../../shared/proto/generated/tasker/agent/v1/Agent.js';
import type { HealthClient } from '../../shared/proto/generated/grpc/health/v1/Health.js';
import { connectSsh, describeTarget } from '../../shared/ssh/connect.js';
import { openTunnel } from '../../shared/ssh/tunnel.js';
import { enableInteractiveMode } from '../../shared/ssh/interactive-mode.js';
import type { AgentSpec } from './agent-spec.js';
import { createAgentTlsCredentials, hostOfAddress } from './tls-credentials.js';

/** An open gRPC channel to one agent (direct or through its SSH tunnel). */
export interface AgentConnection {
  readonly spec: AgentSpec;
  readonly grpc: typeof grpcTypes;
  readonly client: AgentClient;
  readonly health: HealthClient;
  /** True once the transport is known dead (SSH link closed); the caller reconnects. */
  readonly broken: boolean;
  close(): Promise<void>;
}

/** "jump1 (10.0.0.5:50051, mTLS)" / "jump2 (ssh ops@jump2 → 127.0.0.1:50051)". */
export function describeAgent(spec: AgentSpec): string {
  if (spec.kind === 'ssh') return `${spec.name} (ssh ${describeTarget(spec.ssh)} → ${spec.agentHost ?? '127.0.0.1'}:${spec.port})`;
  const how = spec.kind === 'tls' ? 'mTLS' : 'plaintext loopback';
  return spec.name === spec.address ? `${spec.address} (${how})` : `${spec.name} (${spec.address}, ${how})`;
}

/** A connection-level failure (TLS files, SSH); the message names the agent. */
export class AgentConnectError extends Error {
  override name = 'AgentConnectError';
  constructor(
    message: string,
    readonly agent: string,
    options?: { cause?: unknown },
  ) {
    super(message, options);
  }
}

/**
 * Channel options: keepalive pings during calls notice a vanished agent within ~10 s even when
 * no FIN/RST arrives (a loopback kill is noticed at once through the closed socket).
 */
const CHANNEL_OPTIONS = {
  'grpc.keepalive_time_ms': 5000,
  'grpc.keepalive_timeout_ms': 5000,
  'grpc.max_receive_message_length': 8 * 1024 * 1024,
  'grpc.initial_reconnect_backoff_ms': 200,
  'grpc.max_reconnect_backoff_ms': 2000,
};

/** Open a channel to `spec` (gRPC and ssh2 are loaded here, lazily). */
export async function openAgentConnection(spec: AgentSpec, env: NodeJS.ProcessEnv = process.env): Promise<AgentConnection> {
  const [grpc, protos] = await Promise.all([import('@grpc/grpc-js'), loadProtos()]);
  const { Agent } = protos.agent.tasker.agent.v1;
  const { Health } = protos.health.grpc.health.v1;
  const who = describeAgent(spec);

  if (spec.kind === 'ssh') {
    let ssh;
    try {
      ssh = await connectSsh(spec.ssh, env);
    } catch (err) {
      throw new AgentConnectError(`agent ${who}: ${(err as Error).message}`, spec.name, { cause: err });
    }
    await enableInteractiveMode(ssh); // sshd: Nagle off (~40 ms per exchange otherwise)
    const tunnel = await openTunnel(ssh, spec.agentHost ?? '127.0.0.1', spec.port);
    const creds = grpc.credentials.createInsecure();
    const opts = { ...CHANNEL_OPTIONS, 'grpc.default_authority': 'localhost' };
    const client = new Agent(tunnel.target, creds, opts);
    const health = new Health(tunnel.target, creds, opts);
    let broken = false;
    ssh.once('close', () => (broken = true));
    return {
      spec,
      grpc,
      client,
      health,
      get broken() {
        return broken;
      },
      async close() {
        client.close();
        health.close();
        await tunnel.close();
        ssh.end();
      },
    };
  }

  let creds: grpcTypes.ChannelCredentials;
  const opts: Record<string, string | number> = { ...CHANNEL_OPTIONS };
  if (spec.kind === 'tls') {
    const read = async (what: string, path: string) => {
      try {
        return await readFile(path);
      } catch (err) {
        throw new AgentConnectError(`agent ${who}: cannot read tls.${what} ${path}: ${(err as Error).message}`, spec.name);
      }
    };
    const [ca, cert, key] = await Promise.all([read('ca', spec.tls.ca), read('cert', spec.tls.cert), read('key', spec.tls.key)]);
    // The certificate must name tls.server_name, else the address's host (a DNS name or an IP SAN);
    // SNI carries only host names (see createAgentTlsCredentials).
    const verifyName = spec.tls.serverName ?? hostOfAddress(spec.address);
    try {
      creds = createAgentTlsCredentials(grpc, { ca, cert, key, verifyName });
    } catch (err) {
      throw new AgentConnectError(`agent ${who}: unusable TLS files (tls.ca/cert/key): ${(err as Error).message}`, spec.name, { cause: err });
    }
    if (spec.tls.serverName) opts['grpc.default_authority'] = spec.tls.serverName;
  } else {
    creds = grpc.credentials.createInsecure();
  }
  const client = new Agent(spec.address, creds, opts);
  const health = new Health(spec.address, creds, opts);
  return {
    spec,
    grpc,
    client,
    health,
    broken: false,
    async close() {
      client.close();
      health.close();
    },
  };
}
