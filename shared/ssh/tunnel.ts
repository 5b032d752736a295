import { mkdtemp, rm } from 'node:fs/promises';
import { createServer, type Socket } from 'node:net';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import type { Client } from 'ssh2';

/** A local endpoint whose connections are forwarded over SSH to a port on the remote side. */
export interface SshTunnel {
  /** gRPC target for the local end: `unix:///…/agent.sock`. */
  target: string;
  socketPath: string;
  close(): Promise<void>;
}

/**
 * Forward a private Unix socket (in a fresh 0700 directory, so no other local user can use the
 * tunnel, unlike a loopback TCP port) to `remoteHost:remotePort` as seen from the SSH server.
 * Each local connection becomes one `direct-tcpip` channel on the shared SSH connection.
 */
export async function openTunnel(client: Client, remoteHost: string, remotePort: number): Promise<SshTunnel> {
  const dir = await mkdtemp(join(tmpdir(), 'tasker-tunnel-'));
  const socketPath = join(dir, 'agent.sock');
  const sockets = new Set<Socket>();
  const server = createServer((local) => {
    sockets.add(local);
    local.once('close', () => sockets.delete(local));
    local.pause();
    client.forwardOut('127.0.0.1', 0, remoteHost, remotePort, (err, channel) => {
      if (err) {
        local.destroy();
        return;
      }
      local.pipe(channel).pipe(local);
      local.resume();
      local.once('error', () => channel.destroy());
      local.once('close', () => channel.destroy());
      channel.once('close', () => local.destroy());
    });
  });
  await new Promise<void>((resolve, reject) => {
    server.once('error', reject);
    server.listen(socketPath, () => resolve());
  });
  // A dropped SSH link ends every forwarded stream at once, so gRPC sees the agent go away.
  client.once('close', () => {
    for (const s of sockets) s.destroy();
  });
  return {
    target: `unix://${socketPath}`,
    socketPath,
    async close() {
      for (const s of sockets) s.destroy();
      await new Promise<void>((resolve) => server.close(() => resolve()));
      await rm(dir, { recursive: true, force: true });
    },
  };
}
