import { readFile } from 'node:fs/promises';
import { createSecureContext } from 'node:tls';
import { ConnectError } from '../../shared/errors/index.js';
import { connectSsh, describeTarget } from '../../shared/ssh/index.js';
import { describeEndpoint, openTunnel, type RemoteEndpoint } from '../../shared/ssh/index.js';
import { enableInteractiveMode } from '../../shared/ssh/index.js';
import type { AgentSpec } from './agent-spec.js';
import { AGENT_METHODS, type AgentMethods } from './agent-methods.js';
import { openTcpClient, openUnixClient } from './agent-client.js';
import type { GrpcClient } from './grpc-client.js';

/** A gRPC client of one agent (direct or through its SSH tunnel). */
export interface AgentConnection {
  readonly spec: AgentSpec;
  readonly client: GrpcClient;
  readonly methods: AgentMethods;
  /** True once the transport is known dead (SSH link closed, agent unreachable, keepalive unanswered); the caller reconnects. */
  readonly broken: boolean;
  close(): Promise<void>;
}

/** What the SSH tunnel of an `ssh` agent reaches on the SSH host. */
function remoteOf(spec: Extract<AgentSpec, { kind: 'ssh' }>): RemoteEndpoint {
  return spec.socket !== undefined ? { socket: spec.socket } : { host: spec.agentHost ?? '127.0.0.1', port: spec.port };
}

/** "jump1 (10.0.0.5:50051, mTLS)" / "jump2 (ssh ops@jump2 → 127.0.0.1:50051)" / "unix:/run/a.sock (Unix socket)". */
export function describeAgent(spec: AgentSpec): string {
  if (spec.kind === 'ssh') return `${spec.name} (ssh ${describeTarget(spec.ssh)} → ${describeEndpoint(remoteOf(spec))})`;
  if (spec.kind === 'unix') return spec.name === `unix:${spec.path}` ? `${spec.name} (Unix socket)` : `${spec.name} (unix:${spec.path})`;
  const how = spec.kind === 'tls' ? 'mTLS' : 'plaintext loopback';
  return spec.name === spec.address ? `${spec.address} (${how})` : `${spec.name} (${spec.address}, ${how})`;
}

/** Open a client for `spec` (grpc-js is loaded here, lazily; ssh2 when the agent is reached over SSH). */
export async function openAgentConnection(spec: AgentSpec, env: NodeJS.ProcessEnv = process.env): Promise<AgentConnection> {
  const methods = AGENT_METHODS;
  const who = describeAgent(spec);

  if (spec.kind === 'ssh') {
    let ssh;
    try {
      ssh = await connectSsh(spec.ssh, env);
    } catch (err) {
      throw new ConnectError(`agent ${who}: ${(err as Error).message}`, { target: spec.name, cause: err });
    }
    await enableInteractiveMode(ssh); // sshd: Nagle off (~40 ms per exchange otherwise)
    // A channel the SSH server refuses (nothing listens there, no permission) closes the local
    // connection; its reason names the cause instead of "the connection closed".
    let refused: string | undefined;
    const tunnel = await openTunnel(ssh, remoteOf(spec), (refusal) => (refused = refusal));
    const client = await openUnixClient(tunnel.socketPath, () => refused);
    let closed = false;
    ssh.once('close', () => (closed = true));
    return {
      spec,
      client,
      methods,
      get broken() {
        return closed || client.broken;
      },
      async close() {
        client.close();
        await tunnel.close();
        ssh.end();
      },
    };
  }

  const client =
    spec.kind === 'unix' ? await openUnixClient(spec.path) : await openTcpClient(spec, spec.kind === 'tls' ? await readTls(spec, who) : undefined);
  return {
    spec,
    client,
    methods,
    get broken() {
      return client.broken;
    },
    async close() {
      client.close();
    },
  };
}

/** The agent's TLS files, read and made into a context (the diagnosis dials with it). */
async function readTls(spec: Extract<AgentSpec, { kind: 'tls' }>, who: string) {
  const read = async (what: string, path: string) => {
    try {
      return await readFile(path);
    } catch (err) {
      throw new ConnectError(`agent ${who}: cannot read tls.${what} ${path}: ${(err as Error).message}`, { target: spec.name, cause: err });
    }
  };
  const [ca, cert, key] = await Promise.all([read('ca', spec.tls.ca), read('cert', spec.tls.cert), read('key', spec.tls.key)]);
  try {
    return { ca, cert, key, secureContext: createSecureContext({ ca, cert, key }) };
  } catch (err) {
    throw new ConnectError(`agent ${who}: unusable TLS files (tls.ca/cert/key): ${(err as Error).message}`, { target: spec.name, cause: err });
  }
}
