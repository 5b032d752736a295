/** Free TCP ports for the test servers (nats-server, sshd, agents). */
import { readFileSync } from 'node:fs';
import { createServer } from 'node:net';

/**
 * A TCP port that was free a moment ago, below the kernel's range of ephemeral ports: a server
 * stopped and started again on it (a member's restart) cannot find it taken meanwhile by the local
 * port of some connection, as a port from that range can be (`listen` on port 0 gives one).
 */
export async function freePort(): Promise<number> {
  const low = ephemeralLow();
  for (let attempt = 0; attempt < 200; attempt++) {
    const port = PORTS_FROM + Math.floor(Math.random() * (low - PORTS_FROM));
    if (await canListen(port)) return port;
  }
  throw new Error(`no free port found from ${PORTS_FROM} to ${low - 1}`);
}

const PORTS_FROM = 10_000;

/** The first ephemeral port (Linux: /proc/sys/net/ipv4/ip_local_port_range), 32768 when unknown. */
function ephemeralLow(): number {
  try {
    const low = Number(readFileSync('/proc/sys/net/ipv4/ip_local_port_range', 'utf8').trim().split(/\s+/)[0]);
    return Number.isInteger(low) && low > PORTS_FROM + 1000 ? low : 32_768;
  } catch {
    return 32_768;
  }
}

function canListen(port: number): Promise<boolean> {
  return new Promise((resolve) => {
    const srv = createServer();
    srv.unref();
    srv.once('error', () => resolve(false));
    srv.listen(port, '127.0.0.1', () => srv.close(() => resolve(true)));
  });
}
