import type { ListenAddress } from './listen-address.js';

/**
 * Why the agent must not listen on `addr`, or undefined. Whoever can connect runs any command as
 * the agent's user, so every transport must be closed to other users: a Unix socket (its
 * permissions), mutual TLS, or SSH to either. Plaintext TCP is never allowed off loopback, and on
 * loopback only when the operator accepts that every local user can connect (`insecureLoopback`).
 */
export function refuseOpenTransport(addr: ListenAddress, listen: string, tls: boolean, insecureLoopback: boolean): string | undefined {
  if (addr.kind !== 'tcp' || tls) return undefined;
  if (!addr.loopback) {
    return (
      `refusing to listen on ${listen} without TLS: plaintext TCP is never allowed off loopback. ` +
      `Listen on unix:PATH (reached locally or through an SSH tunnel), or give --tls-ca, --tls-cert ` +
      `and --tls-key for mutual TLS`
    );
  }
  if (insecureLoopback) return undefined;
  return (
    `refusing plaintext TCP on ${listen}: every local user could connect and run tasks as this ` +
    `agent's user. Listen on unix:PATH (a socket only the agent's user can open; SSH tunnels ` +
    `reach it too), give --tls-ca, --tls-cert and --tls-key for mutual TLS, or accept the ` +
    `risk with --insecure-loopback`
  );
}
