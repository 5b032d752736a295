import { readFile } from 'node:fs/promises';
import { isIP, connect as netConnect } from 'node:net';
import { checkServerIdentity, connect as tlsConnect, createSecureContext } from 'node:tls';
import { connectSsh, describeTarget } from '../../shared/ssh/index.js';
import { describeEndpoint, openTunnel, type RemoteEndpoint } from '../../shared/ssh/index.js';
import { enableInteractiveMode } from '../../shared/ssh/index.js';
import type { AgentSpec } from './agent-spec.js';
import { AGENT_METHODS, type AgentMethods } from './agent-methods.js';
import { describeConnectError } from './describe-connect-error.js';
import { GrpcClient } from './grpc-client.js';

/** A gRPC client of one agent (direct or through its SSH tunnel). */
export interface AgentConnection {
  readonly spec: AgentSpec;
  readonly client: GrpcClient;
  readonly methods: AgentMethods;
  /** True once the transport is known dead (SSH link closed); the caller reconnects. */
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
 * Keepalive pings during calls notice a vanished agent within ~10 s even when no FIN/RST arrives
 * (a loopback kill is noticed at once through the closed socket).
 */
const KEEPALIVE = { keepaliveMs: 5000, keepaliveTimeoutMs: 5000, maxMessageBytes: 8 * 1024 * 1024 };

const CLIENT_CERT_REFUSED =
  'TLS: the agent closed the connection right after the handshake: it refused our client certificate ' +
  "(tls.cert): not signed by the agent's CA, expired, or not a client certificate (the agent does not say which)";

const PLAINTEXT_REFUSED =
  'the agent closed the plaintext connection without answering: it probably serves mutual TLS; give the ' +
  'controller its client certificate with agent_tls {ca, cert, key} in the config (used for every ad-hoc ' +
  'HOST:PORT, loopback included) or an agents: entry with tls';

/** Host and port of `HOST:PORT` / `[v6]:PORT`. */
export function splitAddress(address: string): { host: string; port: number } {
  const m = /^\[?(.*?)\]?:(\d+)$/.exec(address);
  return { host: m?.[1] ?? address, port: Number(m?.[2] ?? 0) };
}

/** Open a client for `spec` (ssh2 is loaded here, lazily, when the agent is reached over SSH). */
export async function openAgentConnection(spec: AgentSpec, env: NodeJS.ProcessEnv = process.env): Promise<AgentConnection> {
  const methods = AGENT_METHODS;
  const who = describeAgent(spec);

  if (spec.kind === 'ssh') {
    let ssh;
    try {
      ssh = await connectSsh(spec.ssh, env);
    } catch (err) {
      throw new AgentConnectError(`agent ${who}: ${(err as Error).message}`, spec.name, { cause: err });
    }
    await enableInteractiveMode(ssh); // sshd: Nagle off (~40 ms per exchange otherwise)
    // A channel the SSH server refuses (nothing listens there, no permission) closes the local
    // connection; its reason names the cause instead of "the connection closed".
    let refused: string | undefined;
    const tunnel = await openTunnel(ssh, remoteOf(spec), (refusal) => (refused = refusal));
    const client = new GrpcClient({
      ...KEEPALIVE,
      authority: 'localhost',
      connect: () => netConnect({ path: tunnel.socketPath }),
      describeError: () => refused,
      explainClose: () => refused,
    });
    let broken = false;
    ssh.once('close', () => (broken = true));
    return {
      spec,
      client,
      methods,
      get broken() {
        return broken;
      },
      async close() {
        client.close();
        await tunnel.close();
        ssh.end();
      },
    };
  }

  if (spec.kind === 'unix') {
    const path = spec.path;
    const client = new GrpcClient({
      ...KEEPALIVE,
      authority: 'localhost',
      connect: () => netConnect({ path }),
      describeError: (err) => describeConnectError(err, `unix:${path}`),
    });
    return { spec, client, methods, broken: false, close: async () => client.close() };
  }

  const { host, port } = splitAddress(spec.address);
  let connect: () => import('node:stream').Duplex;
  let authority = spec.address;
  let dialled = spec.address;
  if (spec.kind === 'tls') {
    const read = async (what: string, path: string) => {
      try {
        return await readFile(path);
      } catch (err) {
        throw new AgentConnectError(`agent ${who}: cannot read tls.${what} ${path}: ${(err as Error).message}`, spec.name);
      }
    };
    const [ca, cert, key] = await Promise.all([read('ca', spec.tls.ca), read('cert', spec.tls.cert), read('key', spec.tls.key)]);
    let secureContext;
    try {
      secureContext = createSecureContext({ ca, cert, key });
    } catch (err) {
      throw new AgentConnectError(`agent ${who}: unusable TLS files (tls.ca/cert/key): ${(err as Error).message}`, spec.name, { cause: err });
    }
    // The certificate must name tls.server_name, else the address's host (a DNS name or an IP
    // SAN). TLS SNI carries host names only: RFC 6066 forbids IPs there (Node warns, DEP0123).
    const name = spec.tls.serverName ?? host;
    dialled = name;
    if (spec.tls.serverName) authority = `${spec.tls.serverName}:${port}`;
    connect = () =>
      tlsConnect({
        host,
        port,
        secureContext,
        ALPNProtocols: ['h2'],
        ...(isIP(name) ? {} : { servername: name }),
        checkServerIdentity: (_host, peer) => checkServerIdentity(name, peer),
      }).setNoDelay(true);
  } else {
    connect = () => netConnect({ host, port, noDelay: true });
  }
  const client = new GrpcClient({
    ...KEEPALIVE,
    authority,
    connect,
    describeError: (err) => describeConnectError(err, dialled),
    // Node's TLS server (grpc-js) rejects a client certificate by closing the connection once the
    // handshake is done (TLS 1.3: after our side saw it succeed), with no alert that says why.
    ...(spec.kind === 'tls' && {
      explainEarlyClose: (socket: import('node:stream').Duplex) =>
        (socket as import('node:tls').TLSSocket).authorized ? CLIENT_CERT_REFUSED : undefined,
    }),
    // A TLS agent drops a plaintext connection without a word (HTTP/2 is not a TLS ClientHello).
    ...(spec.kind === 'plain' && { explainEarlyClose: () => PLAINTEXT_REFUSED }),
  });
  return {
    spec,
    client,
    methods,
    get broken() {
      return false; // the client reopens its session by itself
    },
    async close() {
      client.close();
    },
  };
}
