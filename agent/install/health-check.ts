import type { Client } from 'ssh2';
import { ConnectError } from '../../shared/errors/index.js';
import { loadProtos } from '../../shared/proto/load-proto.js';
import { describeEndpoint, openTunnel, type RemoteEndpoint } from '../../shared/ssh/index.js';

/**
 * Ask the freshly started agent for its health through an SSH tunnel to `remote` on the host (its
 * Unix socket, or a loopback port), retrying until `deadlineMs` (the agent needs a moment to start). Resolves with the
 * agent's version; throws with the last error when it never answers SERVING.
 */
export async function checkAgentHealthOverSsh(client: Client, remote: RemoteEndpoint, deadlineMs = 20_000): Promise<string> {
  const [grpc, protos] = await Promise.all([import('@grpc/grpc-js'), loadProtos()]);
  const tunnel = await openTunnel(client, remote);
  const creds = grpc.credentials.createInsecure();
  const opts = { 'grpc.default_authority': 'localhost', 'grpc.initial_reconnect_backoff_ms': 200, 'grpc.max_reconnect_backoff_ms': 500 };
  const health = new protos.health.grpc.health.v1.Health(tunnel.target, creds, opts);
  const agent = new protos.agent.tasker.agent.v1.Agent(tunnel.target, creds, opts);
  const until = Date.now() + deadlineMs;
  let last = 'no answer';
  try {
    while (Date.now() < until) {
      try {
        const status = await new Promise<string>((resolve, reject) =>
          health.Check({ service: '' }, { deadline: Date.now() + 3000 }, (err, res) => (err ? reject(err) : resolve(res!.status))),
        );
        if (status === 'SERVING') {
          return await new Promise<string>((resolve, reject) =>
            agent.Info({}, { deadline: Date.now() + 3000 }, (err, res) => (err ? reject(err) : resolve(res!.version))),
          );
        }
        last = `health is ${status}`;
      } catch (err) {
        last = (err as { details?: string }).details || (err as Error).message;
      }
      await new Promise((r) => setTimeout(r, 300));
    }
    throw new ConnectError(`the agent did not answer health SERVING on ${describeEndpoint(remote)} within ${deadlineMs / 1000} s (${last})`, { target: describeEndpoint(remote) });
  } finally {
    health.close();
    agent.close();
    await tunnel.close();
  }
}
