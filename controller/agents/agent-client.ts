/**
 * The gRPC client of an agent spec: the grpc-js target, the channel credentials (mutual TLS, the
 * agent's certificate checked against tls.server_name or the address's host) and how a failure
 * to connect is named (diagnose-connect.ts).
 */
import { isIP } from 'node:net';
import { checkServerIdentity, connect as tlsConnect, type SecureContext } from 'node:tls';
import { AGENT_METHODS } from './agent-methods.js';
import type { AgentSpec } from './agent-spec.js';
import { diagnoseConnect, plainDial } from './diagnose-connect.js';
import { GrpcClient } from './grpc-client.js';
import { splitAddress } from './split-address.js';

/**
 * Keepalive while calls are active notices a vanished agent within ~10 s even when no FIN/RST
 * arrives (a loopback kill is noticed at once through the closed socket).
 */
const COMMON = { keepaliveMs: 5000, keepaliveTimeoutMs: 5000, maxMessageBytes: 8 * 1024 * 1024, ping: AGENT_METHODS.health };

/**
 * TLS SNI carries host names only (RFC 6066; Node warns, DEP0123, for an IP), and grpc-js sends
 * the address's host unless told a name: for an agent dialled by IP it sends this one, which names
 * no host (RFC 6761 `.invalid`). The certificate is still checked against the IP.
 */
const SNI_FOR_IP = 'tasker-agent.invalid';

/** The agent's TLS files, read and checked (agent-connection.ts). */
export interface TlsMaterial {
  ca: Buffer;
  cert: Buffer;
  key: Buffer;
  secureContext: SecureContext;
}

/** A client of a `unix` agent (also the local socket of an SSH tunnel: `explain` names its refusal). */
export async function openUnixClient(path: string, explain?: () => string | undefined): Promise<GrpcClient> {
  const grpc = await import('@grpc/grpc-js');
  const dialled = `unix:${path}`;
  return new GrpcClient(grpc, {
    ...COMMON,
    target: dialled,
    credentials: grpc.credentials.createInsecure(),
    channelOptions: { 'grpc.default_authority': 'localhost' },
    diagnose: async () => explain?.() ?? (await diagnoseConnect({ open: plainDial({ path }), dialled, kind: 'unix' })),
  });
}

/** A client of a `plain` (loopback) or `tls` agent. */
export async function openTcpClient(spec: Extract<AgentSpec, { kind: 'plain' | 'tls' }>, tls?: TlsMaterial): Promise<GrpcClient> {
  const grpc = await import('@grpc/grpc-js');
  const { host, port } = splitAddress(spec.address);
  if (spec.kind === 'plain' || !tls) {
    return new GrpcClient(grpc, {
      ...COMMON,
      target: spec.address,
      credentials: grpc.credentials.createInsecure(),
      diagnose: () => diagnoseConnect({ open: plainDial({ host, port }), dialled: spec.address, kind: 'plain' }),
    });
  }
  const name = spec.tls.serverName ?? host;
  const verify = (_host: string, peer: import('node:tls').PeerCertificate) => checkServerIdentity(name, peer);
  const sni = isIP(name) ? SNI_FOR_IP : name;
  return new GrpcClient(grpc, {
    ...COMMON,
    target: spec.address,
    credentials: grpc.credentials.createSsl(tls.ca, tls.key, tls.cert, { checkServerIdentity: verify }),
    channelOptions: {
      'grpc.ssl_target_name_override': sni,
      'grpc.default_authority': spec.tls.serverName ? `${spec.tls.serverName}:${port}` : spec.address,
    },
    diagnose: () =>
      diagnoseConnect({
        dialled: name,
        kind: 'tls',
        open: () => ({
          socket: tlsConnect({ host, port, secureContext: tls.secureContext, ALPNProtocols: ['h2'], ...(isIP(name) ? {} : { servername: name }), checkServerIdentity: verify }),
          ready: 'secureConnect',
        }),
      }),
  });
}
