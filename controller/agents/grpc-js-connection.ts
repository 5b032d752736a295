/**
 * A {@link GrpcJsClient} for an agent spec: the target, the channel credentials (mutual TLS with
 * the certificate checked against tls.server_name or the address's host) and the authority.
 */
import { readFile } from 'node:fs/promises';
import { isIP } from 'node:net';
import { checkServerIdentity } from 'node:tls';
import type { AgentSpec } from './agent-spec.js';
import { GrpcJsClient, loadGrpcJs } from './grpc-js-client.js';
import { splitAddress } from './split-address.js';

/** Which client carries an agent's calls: the own HTTP/2 client (grpc-client.ts) or grpc-js. */
export type ClientKind = 'own' | 'grpc-js';

interface Keepalive {
  keepaliveMs: number;
  keepaliveTimeoutMs: number;
  maxMessageBytes: number;
}

/** Open a grpc-js client of a direct agent (`tls`, `plain`, `unix`); `refused`: an SSH tunnel's refusal. */
export async function openGrpcJsClient(
  spec: Exclude<AgentSpec, { kind: 'ssh' }>,
  keepalive: Keepalive,
  who: string,
  refused?: () => string | undefined,
): Promise<GrpcJsClient> {
  const grpc = await loadGrpcJs();
  const explainUnavailable = refused && (() => refused());
  if (spec.kind === 'unix') {
    return new GrpcJsClient(grpc, {
      ...keepalive,
      target: `unix:${spec.path}`,
      credentials: grpc.credentials.createInsecure(),
      channelOptions: { 'grpc.default_authority': 'localhost' },
      ...(explainUnavailable && { explainUnavailable }),
    });
  }
  if (spec.kind === 'plain') {
    return new GrpcJsClient(grpc, { ...keepalive, target: spec.address, credentials: grpc.credentials.createInsecure() });
  }
  const read = async (what: string, path: string) => {
    try {
      return await readFile(path);
    } catch (err) {
      throw new Error(`agent ${who}: cannot read tls.${what} ${path}: ${(err as Error).message}`);
    }
  };
  const [ca, cert, key] = await Promise.all([read('ca', spec.tls.ca), read('cert', spec.tls.cert), read('key', spec.tls.key)]);
  const { host, port } = splitAddress(spec.address);
  const name = spec.tls.serverName ?? host;
  const credentials = grpc.credentials.createSsl(ca, key, cert, { checkServerIdentity: (_h, peer) => checkServerIdentity(name, peer) });
  const channelOptions: Record<string, string> = {};
  if (!isIP(name)) channelOptions['grpc.ssl_target_name_override'] = name;
  if (spec.tls.serverName) channelOptions['grpc.default_authority'] = `${spec.tls.serverName}:${port}`;
  return new GrpcJsClient(grpc, { ...keepalive, target: spec.address, credentials, channelOptions });
}
