import { dirname, isAbsolute, resolve } from 'node:path';
import type { SshExecutorOptions } from './ssh-executor.js';

/**
 * Read the config's `ssh:` section (`{user, port, identity, known_hosts}`) into executor defaults.
 * Relative paths resolve against the config file's directory. Problems name the key.
 */
export function parseSshConfig(data: unknown, configPath?: string): { options: SshExecutorOptions; problems: string[] } {
  const options: SshExecutorOptions = {};
  const problems: string[] = [];
  const section = (data as { ssh?: unknown } | null | undefined)?.ssh;
  if (section === undefined || section === null) return { options, problems };
  if (typeof section !== 'object' || Array.isArray(section)) return { options, problems: ['ssh must be a mapping {user, port, identity, known_hosts}'] };
  const s = section as Record<string, unknown>;
  const base = configPath ? dirname(configPath) : process.cwd();
  const file = (v: string) => (v.startsWith('~') || isAbsolute(v) ? v : resolve(base, v));
  for (const key of Object.keys(s)) {
    if (!['user', 'port', 'identity', 'known_hosts'].includes(key)) problems.push(`ssh.${key} is not a known key (user, port, identity, known_hosts)`);
  }
  const str = (key: string): string | undefined => {
    const v = s[key];
    if (v === undefined) return undefined;
    if (typeof v !== 'string' || !v) {
      problems.push(`ssh.${key} must be a non-empty string`);
      return undefined;
    }
    return v;
  };
  const user = str('user');
  if (user) options.user = user;
  const identity = str('identity');
  if (identity) options.identity = file(identity);
  const knownHosts = str('known_hosts');
  if (knownHosts) options.knownHosts = file(knownHosts);
  if (s.port !== undefined) {
    if (typeof s.port !== 'number' || !Number.isInteger(s.port) || s.port < 1 || s.port > 65535) {
      problems.push(`ssh.port must be a port number 1-65535, got ${JSON.stringify(s.port)}`);
    } else options.port = s.port;
  }
  return { options, problems };
}
