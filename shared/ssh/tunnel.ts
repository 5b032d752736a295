import { mkdtemp, rm } from 'node:fs/promises';
import { createServer, type Socket } from 'node:net';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import type { Client } from 'ssh2';

/** What a tunnel reaches on the SSH server's side: a TCP port, or a Unix socket (OpenSSH streamlocal). */
export type RemoteEndpoint = { host: string; port: number } | { socket: string };

/** `127.0.0.1:50051` / `unix:/run/tasker-agent/agent.sock`. */
export function describeEndpoint(remote: RemoteEndpoint): string {
  return 'socket' in remote ? `unix:${remote.socket}` : `${remote.host}:${remote.port}`;
}

/** A local endpoint whose connections are forwarded over SSH to a port or socket on the remote side. */
export interface SshTunnel {
  /** gRPC target for the local end: `unix:///…/agent.sock`. */
  target: string;
  socketPath: string;
  close(): Promise<void>;
}

/**
 * Forward a private Unix socket (in a fresh 0700 directory, so no other local user can use the
 * tunnel, unlike a loopback TCP port) to `remote` as seen from the SSH server. Each local
 * connection becomes one channel on the shared SSH connection: `direct-tcpip` to a port, or
 * `direct-streamlocal@openssh.com` to a Unix socket, which sshd opens as the logged-in user (so
 * the socket's file permissions decide, as they do locally). A refused channel closes the local
 * connection; `onChannel` hears why (and undefined for each channel that opened).
 */
export async function openTunnel(client: Client, remote: RemoteEndpoint, onChannel?: (refusal: string | undefined) => void): Promise<SshTunnel> {
  const dir = await mkdtemp(join(tmpdir(), 'tasker-tunnel-'));
  const socketPath = join(dir, 'agent.sock');
  const sockets = new Set<Socket>();
  const server = createServer((local) => {
    sockets.add(local);
    local.once('close', () => sockets.delete(local));
    local.pause();
    const opened = (err: Error | undefined, channel: import('ssh2').ClientChannel) => {
      if (err) {
        onChannel?.(`the SSH server could not open ${describeEndpoint(remote)}: ${err.message}`);
        local.destroy();
        return;
      }
      onChannel?.(undefined);
      local.pipe(channel).pipe(local);
      local.resume();
      local.once('error', () => channel.destroy());
      local.once('close', () => channel.destroy());
      channel.once('close', () => local.destroy());
    };
    if ('socket' in remote) client.openssh_forwardOutStreamLocal(remote.socket, opened);
    else client.forwardOut('127.0.0.1', 0, remote.host, remote.port, opened);
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
