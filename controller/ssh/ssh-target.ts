import { parseHostAddress } from '../../shared/hosts/index.js';
import type { SshTarget } from '../../shared/ssh/index.js';

/** The settings the config's `ssh:` section gives, for every host or per host pattern. */
export interface SshSettings {
  user?: string;
  port?: number;
  identity?: string;
  knownHosts?: string;
}

/** One `ssh.hosts` entry: host patterns (`web01`, `db*`, `!db-legacy`) and their settings. */
export interface SshHostRule extends SshSettings {
  patterns: string[];
}

/**
 * Where exec=ssh connects for a task's hostname (`[user@]host[:port]`). Each setting comes from,
 * first to last: the hostname as written (user@, :port), the first `ssh.hosts` entry matching the
 * host that sets it (in file order, as ~/.ssh/config takes the first value obtained), then the
 * section's defaults. What none sets is left to connectSsh ($USER, 22, ~/.ssh/id_*, ~/.ssh/known_hosts).
 */
export function sshTargetFor(hostname: string, defaults: SshSettings & { hosts?: readonly SshHostRule[] }): { target?: SshTarget; error?: string } {
  const parsed = parseHostAddress(hostname);
  if (!parsed.ok) return { error: parsed.message };
  const { host, user, port } = parsed.address;
  const layers: SshSettings[] = [{ ...(user !== undefined ? { user } : {}), ...(port !== undefined ? { port } : {}) }];
  for (const rule of defaults.hosts ?? []) if (matchesHostPatterns(host, rule.patterns)) layers.push(rule);
  layers.push(defaults);
  const first = <K extends keyof SshSettings>(key: K): SshSettings[K] => layers.find((l) => l[key] !== undefined)?.[key];
  const target: SshTarget = { host };
  const picked = { user: first('user'), port: first('port'), identity: first('identity'), knownHosts: first('knownHosts') };
  if (picked.user !== undefined) target.user = picked.user;
  if (picked.port !== undefined) target.port = picked.port;
  if (picked.identity !== undefined) target.identity = picked.identity;
  if (picked.knownHosts !== undefined) target.knownHosts = picked.knownHosts;
  return { target };
}

/**
 * ~/.ssh/config `Host` matching: the host matches when one pattern does and no `!pattern` does.
 * `*` is any run of characters, `?` one character; case-insensitive, as OpenSSH compares names.
 */
export function matchesHostPatterns(host: string, patterns: readonly string[]): boolean {
  let matched = false;
  for (const p of patterns) {
    const negated = p.startsWith('!');
    if (!globMatches(host, negated ? p.slice(1) : p)) continue;
    if (negated) return false;
    matched = true;
  }
  return matched;
}

function globMatches(text: string, pattern: string): boolean {
  const source = [...pattern].map((c) => (c === '*' ? '.*' : c === '?' ? '.' : c.replace(/[\\^$.|+()[\]{}]/g, '\\$&'))).join('');
  return new RegExp(`^${source}$`, 'i').test(text);
}

/** Settings for `exec=ssh` (config section `ssh:`, see parseSshConfig) and the executor's own. */
export interface SshExecutorOptions extends SshSettings {
  /** Per-host settings (`ssh.hosts`), first match per setting wins. */
  hosts?: SshHostRule[];
  env?: NodeJS.ProcessEnv;
  spillDir?: string;
  /** Grace between SIGTERM and SIGKILL of the remote group. Default 2000 ms. */
  killGraceMs?: number;
}
