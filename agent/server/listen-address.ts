import { isIP } from 'node:net';

export interface ListenAddress {
  host: string;
  port: number;
  /** The form grpc-js binds: `127.0.0.1:50051`, `[::1]:50051`. */
  bind: string;
  loopback: boolean;
}

/** Parse `HOST:PORT` / `[V6]:PORT`; throws a message naming --listen on bad input. */
export function parseListenAddress(text: string): ListenAddress {
  const m = /^\[([^\]]+)\]:(\d+)$/.exec(text) ?? /^([^:[\]]+):(\d+)$/.exec(text);
  if (!m) throw new Error(`--listen must be HOST:PORT (e.g. 127.0.0.1:50051 or [::1]:50051), got \`${text}\``);
  const host = m[1]!;
  const port = Number(m[2]);
  if (!Number.isInteger(port) || port < 0 || port > 65535) {
    throw new Error(`--listen port must be 0-65535, got \`${m[2]}\``);
  }
  const bind = isIP(host) === 6 ? `[${host}]:${port}` : `${host}:${port}`;
  return { host, port, bind, loopback: isLoopbackHost(host) };
}

/** 127.0.0.0/8, ::1, ::ffff:127.x, `localhost`. Anything else (0.0.0.0 included) is not loopback. */
export function isLoopbackHost(host: string): boolean {
  const h = host.toLowerCase();
  if (h === 'localhost' || h === '::1' || h === '0:0:0:0:0:0:0:1') return true;
  if (isIP(h) === 4) return h.startsWith('127.');
  if (h.startsWith('::ffff:')) return isIP(h.slice(7)) === 4 && h.slice(7).startsWith('127.');
  return false;
}
