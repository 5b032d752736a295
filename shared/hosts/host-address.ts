import { isIPv6 } from 'node:net';

/**
 * A host as written in a task file (`hostname=`, a `hostnames=` entry): the host itself plus an
 * optional login user and port, in the forms operators write for ssh.
 *
 * | written                 | user | host        | port |
 * |-------------------------|------|-------------|------|
 * | `web01`                 |      | web01       |      |
 * | `ops@web01`             | ops  | web01       |      |
 * | `web01:2222`            |      | web01       | 2222 |
 * | `ops@10.0.0.5:2222`     | ops  | 10.0.0.5    | 2222 |
 * | `::1`, `[::1]`          |      | ::1         |      |
 * | `ops@[fe80::1]:22`      | ops  | fe80::1     | 22   |
 */
export interface HostAddress {
  /** The text as written (trimmed): what a wrapper such as `pbrun -h` receives. */
  text: string;
  /** The host alone (an IPv6 address without brackets): what DNS, ping and ssh connect to. */
  host: string;
  user?: string;
  port?: number;
}

export type HostAddressResult = { ok: true; address: HostAddress } | { ok: false; message: string };

/** RFC 1123 host name: labels of letters, digits and inner hyphens, at most 253 characters. */
export const HOSTNAME_PATTERN = /^(?=.{1,253}$)[A-Za-z0-9]([A-Za-z0-9-]{0,61}[A-Za-z0-9])?(\.[A-Za-z0-9]([A-Za-z0-9-]{0,61}[A-Za-z0-9])?)*$/;
const IPV4_PATTERN = /^\d{1,3}(\.\d{1,3}){3}$/;
/** A login name: anything but whitespace and the characters that delimit the other parts or lists. */
const USER_PATTERN = /^[^\s@:[\]/,]+$/;

/**
 * Split `[user@]host[:port]` (IPv6 in brackets when a port follows) and check each part. Never
 * throws; a refusal says what is wrong with which part, e.g.
 * `port '99999' in 'web01:99999' must be 1-65535`.
 */
export function parseHostAddress(written: string): HostAddressResult {
  const text = written.trim();
  if (text === '') return { ok: false, message: 'the host is empty' };
  let rest = text;
  let user: string | undefined;
  const at = rest.lastIndexOf('@');
  if (at >= 0) {
    user = rest.slice(0, at);
    rest = rest.slice(at + 1);
    if (user === '') return { ok: false, message: `'${text}' has no user before '@' (write user@host, or just host)` };
    if (!USER_PATTERN.test(user)) return { ok: false, message: `'${user}' in '${text}' is not a valid user name` };
    if (rest === '') return { ok: false, message: `'${text}' has no host after '@'` };
  }
  let host = rest;
  let portText: string | undefined;
  const bracketed = /^\[([^\]]*)\](?::(.*))?$/.exec(rest);
  if (bracketed) {
    host = bracketed[1]!;
    portText = bracketed[2];
    if (!isIPv6(host)) return { ok: false, message: `'[${host}]' in '${text}' is not an IPv6 address` };
  } else if (rest.startsWith('[')) {
    return { ok: false, message: `'${text}' has an unclosed '[' (write an IPv6 address with a port as [::1]:22)` };
  } else if (rest.indexOf(':') !== rest.lastIndexOf(':')) {
    // Two colons or more: a bare IPv6 address, which cannot carry a port (`::1:22` is an address too).
    if (!isIPv6(rest)) return { ok: false, message: `'${rest}' in '${text}' is not an IPv6 address (with a port, write [ADDRESS]:PORT)` };
  } else if (rest.includes(':')) {
    host = rest.slice(0, rest.indexOf(':'));
    portText = rest.slice(rest.indexOf(':') + 1);
  }
  if (!bracketed && !isIPv6(host)) {
    const badIpv4 = IPV4_PATTERN.test(host) && host.split('.').some((o) => Number(o) > 255);
    if (host === '') return { ok: false, message: `'${text}' has no host before ':'` };
    if (badIpv4 || !HOSTNAME_PATTERN.test(host)) return { ok: false, message: `'${host}' is not a valid host name or IP address` };
  }
  const address: HostAddress = { text, host };
  if (user !== undefined) address.user = user;
  if (portText !== undefined) {
    const port = /^\d{1,5}$/.test(portText) ? Number(portText) : NaN;
    if (!(port >= 1 && port <= 65535)) return { ok: false, message: `port '${portText}' in '${text}' must be 1-65535` };
    address.port = port;
  }
  return { ok: true, address };
}

/** Write an address back as `[user@]host[:port]` (IPv6 in brackets when a port follows). */
export function formatHostAddress(a: Pick<HostAddress, 'host' | 'user' | 'port'>): string {
  const host = a.port !== undefined && a.host.includes(':') ? `[${a.host}]` : a.host;
  return `${a.user !== undefined ? `${a.user}@` : ''}${host}${a.port !== undefined ? `:${a.port}` : ''}`;
}
