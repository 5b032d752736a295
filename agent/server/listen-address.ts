import { isIP } from 'node:net';
import { resolve } from 'node:path';
import { ConfigError } from '../../shared/errors/index.js';

/** Where the agent listens: a TCP address, or a Unix socket (`unix:PATH`). */
export type ListenAddress =
  | {
      kind: 'tcp';
      host: string;
      port: number;
      /** The form grpc-js binds: `127.0.0.1:50051`, `[::1]:50051`. */
      bind: string;
      loopback: boolean;
    }
  | {
      kind: 'unix';
      /** Absolute path of the socket file. */
      path: string;
      /** `unix:/abs/path`. */
      bind: string;
    };

/** Linux `sun_path` holds 108 bytes, the last one a NUL. */
export const MAX_SOCKET_PATH_BYTES = 107;

const FORMS = 'HOST:PORT (e.g. 127.0.0.1:50051, [::1]:50051) or unix:PATH (e.g. unix:/run/tasker-agent/agent.sock)';

/**
 * Parse `HOST:PORT`, `[V6]:PORT` or `unix:PATH` (a relative PATH is taken from `cwd`). `what`
 * names where the value came from (`--listen`, `agent.listen in FILE`) in the error.
 */
export function parseListenAddress(text: string, what = '--listen', cwd = process.cwd()): ListenAddress {
  if (text.startsWith('unix:')) {
    const raw = text.slice('unix:'.length).replace(/^\/\/(?=\/)/, ''); // unix:///abs as grpc-js writes it
    if (!raw) throw new ConfigError(`${what} unix:PATH needs a socket path, got \`${text}\``);
    if (raw.includes('\0')) throw new ConfigError(`${what}: the socket path holds a NUL byte`);
    const path = resolve(cwd, raw);
    const bytes = Buffer.byteLength(path);
    if (bytes > MAX_SOCKET_PATH_BYTES) {
      throw new ConfigError(`${what}: socket path ${path} is ${bytes} bytes long; Unix sockets allow at most ${MAX_SOCKET_PATH_BYTES}`);
    }
    return { kind: 'unix', path, bind: `unix:${path}` };
  }
  const m = /^\[([^\]]+)\]:(\d+)$/.exec(text) ?? /^([^:[\]]+):(\d+)$/.exec(text);
  if (!m) {
    const hint = /^:\d+$/.test(text) ? ` (the host is missing: 127.0.0.1${text} for loopback, 0.0.0.0${text} for every interface)` : '';
    throw new ConfigError(`${what} must be ${FORMS}, got \`${text}\`${hint}`);
  }
  const host = m[1]!;
  const port = Number(m[2]);
  if (!Number.isInteger(port) || port < 0 || port > 65535) {
    throw new ConfigError(`${what} port must be 0-65535, got \`${m[2]}\` in \`${text}\``);
  }
  const bind = isIP(host) === 6 ? `[${host}]:${port}` : `${host}:${port}`;
  return { kind: 'tcp', host, port, bind, loopback: isLoopbackHost(host) };
}

/** 127.0.0.0/8, ::1, ::ffff:127.x, `localhost`. Anything else (0.0.0.0 included) is not loopback. */
export function isLoopbackHost(host: string): boolean {
  const h = host.toLowerCase();
  if (h === 'localhost' || h === '::1' || h === '0:0:0:0:0:0:0:1') return true;
  if (isIP(h) === 4) return h.startsWith('127.');
  if (h.startsWith('::ffff:')) return isIP(h.slice(7)) === 4 && h.slice(7).startsWith('127.');
  return false;
}
