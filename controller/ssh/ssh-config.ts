import { dirname, isAbsolute, resolve } from 'node:path';
import type { ConfigPath } from '../../shared/config/index.js';
import type { SshExecutorOptions } from './ssh-target.js';
import type { SshHostRule, SshSettings } from './ssh-target.js';

const SETTING_KEYS = ['user', 'port', 'identity', 'known_hosts'];

/**
 * Read the config's `ssh:` section into executor defaults: `{user, port, identity, known_hosts}`
 * for every exec=ssh host, and `hosts:` with the same keys per host pattern, like the Host blocks
 * of ~/.ssh/config:
 *
 * ```yaml
 * ssh:
 *   user: ops
 *   identity: ~/.ssh/id_ed25519
 *   hosts:
 *     web01: {user: deploy, port: 2222}
 *     "db* !db-legacy": {identity: keys/db_ed25519}
 * ```
 *
 * Relative paths resolve against the config file's directory. Never throws: each problem names
 * its key (`ssh.hosts.web01.port`) and is listed with that key's path, to position it in the file.
 */
export function parseSshConfig(
  data: unknown,
  configPath?: string,
): { options: SshExecutorOptions; problems: string[]; issues: { path: ConfigPath; message: string }[] } {
  const options: SshExecutorOptions = {};
  const issues: { path: ConfigPath; message: string }[] = [];
  const problem = (path: ConfigPath, message: string) => issues.push({ path, message });
  const done = () => ({ options, problems: issues.map((i) => i.message), issues });
  const section = (data as { ssh?: unknown } | null | undefined)?.ssh;
  if (section === undefined || section === null) return done();
  if (!isMapping(section)) {
    problem(['ssh'], 'ssh must be a mapping {user, port, identity, known_hosts, hosts}');
    return done();
  }
  const base = configPath ? dirname(configPath) : process.cwd();
  for (const key of Object.keys(section)) {
    if (![...SETTING_KEYS, 'hosts'].includes(key)) problem(['ssh', key], `ssh.${key} is not a known key (${SETTING_KEYS.join(', ')}, hosts)`);
  }
  Object.assign(options, readSettings(section, ['ssh'], base, problem));
  const hosts = section['hosts'];
  if (hosts === undefined || hosts === null) return done();
  if (!isMapping(hosts)) {
    problem(['ssh', 'hosts'], 'ssh.hosts must be a mapping of host pattern to {user, port, identity, known_hosts}');
    return done();
  }
  const rules: SshHostRule[] = [];
  for (const [pattern, raw] of Object.entries(hosts)) {
    const where: ConfigPath = ['ssh', 'hosts', pattern];
    const patterns = pattern.split(/[\s,]+/).filter(Boolean);
    if (patterns.length === 0 || patterns.every((p) => p.startsWith('!'))) {
      problem(where, `ssh.hosts: \`${pattern}\` must name at least one host or pattern (a !negation alone matches nothing)`);
      continue;
    }
    if (!isMapping(raw)) {
      problem(where, `ssh.hosts.${pattern} must be a mapping {${SETTING_KEYS.join(', ')}}`);
      continue;
    }
    for (const key of Object.keys(raw)) {
      if (!SETTING_KEYS.includes(key)) problem([...where, key], `ssh.hosts.${pattern}.${key} is not a known key (${SETTING_KEYS.join(', ')})`);
    }
    rules.push({ patterns, ...readSettings(raw, where, base, problem) });
  }
  if (rules.length) options.hosts = rules;
  return done();
}

/** `user`, `port`, `identity`, `known_hosts` of one mapping; problems name `<where>.<key>`. */
function readSettings(o: Record<string, unknown>, where: ConfigPath, base: string, problem: (path: ConfigPath, message: string) => void): SshSettings {
  const out: SshSettings = {};
  const name = where.join('.');
  const file = (v: string) => (v.startsWith('~') || isAbsolute(v) ? v : resolve(base, v));
  const str = (key: string): string | undefined => {
    const v = o[key];
    if (v === undefined) return undefined;
    if (typeof v !== 'string' || !v) {
      problem([...where, key], `${name}.${key} must be a non-empty string`);
      return undefined;
    }
    return v;
  };
  const user = str('user');
  if (user) out.user = user;
  const identity = str('identity');
  if (identity) out.identity = file(identity);
  const knownHosts = str('known_hosts');
  if (knownHosts) out.knownHosts = file(knownHosts);
  const port = o['port'];
  if (port !== undefined) {
    if (typeof port !== 'number' || !Number.isInteger(port) || port < 1 || port > 65535) {
      problem([...where, 'port'], `${name}.port must be a port number 1-65535, got ${JSON.stringify(port)}`);
    } else out.port = port;
  }
  return out;
}

function isMapping(v: unknown): v is Record<string, unknown> {
  return typeof v === 'object' && v !== null && !Array.isArray(v);
}
