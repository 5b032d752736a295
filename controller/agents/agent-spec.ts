import { isAbsolute, dirname, resolve as resolvePath } from 'node:path';
import type { ConfigPath } from '../../shared/config/index.js';
import type { SshTarget } from '../../shared/ssh/index.js';
import type { Diagnostic } from '../../shared/taskfile/diagnostics.js';

/** Client TLS material for an agent (paths). */
export interface AgentTlsFiles {
  ca: string;
  cert: string;
  key: string;
  /** Name to expect in the agent's certificate when it differs from the address host. */
  serverName?: string;
}

/** How the controller reaches one agent. */
export type AgentSpec =
  | { name: string; kind: 'tls'; address: string; tls: AgentTlsFiles }
  /** Plaintext gRPC: only to a loopback address (an agent started with --insecure-loopback). */
  | { name: string; kind: 'plain'; address: string }
  /** A local agent's Unix socket (`unix:PATH`; `path` is absolute). */
  | { name: string; kind: 'unix'; path: string }
  /** Through an SSH tunnel to the agent's loopback `port` on the SSH host. */
  | { name: string; kind: 'ssh'; ssh: SshTarget; port: number; agentHost?: string; socket?: undefined }
  /** Through an SSH tunnel to the agent's Unix socket `socket` on the SSH host (streamlocal forwarding). */
  | { name: string; kind: 'ssh'; ssh: SshTarget; socket: string; port?: undefined; agentHost?: undefined };

export interface AgentsConfig {
  agents: Map<string, AgentSpec>;
  defaultAgent?: string;
  /** TLS used for an ad-hoc `--agent HOST:PORT` that is not loopback (config key `agent_tls`). */
  adHocTls?: AgentTlsFiles;
  /** Problems found, each naming the config path (`agents.web.tls.ca`). */
  problems: string[];
  /** The same problems with the key path each is about (to position them in the file). */
  issues: { path: ConfigPath; message: string }[];
}

type Obj = Record<string, unknown>;
const isObj = (v: unknown): v is Obj => typeof v === 'object' && v !== null && !Array.isArray(v);

/**
 * Read the `agents:`, `default_agent:` and `agent_tls:` sections of the tasker config. Relative
 * file paths are resolved against the config file's directory. Never throws: problems are listed.
 *
 * ```yaml
 * agents:
 *   jump1: {address: "jump1.example.com:50051", tls: {ca: ca.crt, cert: ctl.crt, key: ctl.key}}
 *   jump2: {ssh: {host: jump2, user: ops, identity: ~/.ssh/id_ed25519}, port: 50051}
 * default_agent: jump1
 * ```
 */
export function parseAgentsConfig(data: unknown, configPath?: string): AgentsConfig {
  const out: AgentsConfig = { agents: new Map(), problems: [], issues: [] };
  if (!isObj(data)) return out;
  const base = configPath ? dirname(configPath) : process.cwd();
  const file = (v: string) => (v.startsWith('~') || isAbsolute(v) ? v : resolvePath(base, v));
  /** A problem about the key at `where` (a dotted path of the config's keys). */
  let current = ''; // the agent entry being read: its name may itself hold dots
  const problem = (where: string, message: string) => {
    out.problems.push(message);
    const head = `agents.${current}`;
    const path = current && (where === head || where.startsWith(`${head}.`))
      ? ['agents', current, ...where.slice(head.length + 1).split('.').filter(Boolean)]
      : where.split('.');
    out.issues.push({ path, message });
  };
  const str = (o: Obj, key: string, where: string, required: boolean): string | undefined => {
    const v = o[key];
    if (v === undefined || v === null) {
      if (required) problem(where, `${where}.${key} is required`);
      return undefined;
    }
    if (typeof v !== 'string' || v === '') {
      problem(`${where}.${key}`, `${where}.${key} must be a non-empty string`);
      return undefined;
    }
    return v;
  };
  const port = (v: unknown, where: string): number | undefined => {
    if (v === undefined) return undefined;
    if (typeof v !== 'number' || !Number.isInteger(v) || v < 1 || v > 65535) {
      problem(where, `${where} must be a port number 1-65535, got ${JSON.stringify(v)}`);
      return undefined;
    }
    return v;
  };
  const tls = (v: unknown, where: string): AgentTlsFiles | undefined => {
    if (!isObj(v)) {
      problem(where, `${where} must be a mapping with ca, cert, key`);
      return undefined;
    }
    const ca = str(v, 'ca', where, true);
    const cert = str(v, 'cert', where, true);
    const key = str(v, 'key', where, true);
    const serverName = str(v, 'server_name', where, false);
    if (!ca || !cert || !key) return undefined;
    return { ca: file(ca), cert: file(cert), key: file(key), ...(serverName ? { serverName } : {}) };
  };

  const agents = data.agents;
  if (agents !== undefined && !isObj(agents)) problem('agents', 'agents must be a mapping of agent name to settings');
  for (const [name, raw] of Object.entries(isObj(agents) ? agents : {})) {
    const where = `agents.${name}`;
    current = name;
    if (!isObj(raw)) {
      problem(where, `${where} must be a mapping (address + tls, address: unix:PATH, or ssh + port/address: unix:PATH)`);
      continue;
    }
    const address = str(raw, 'address', where, raw.ssh === undefined);
    const socket = address?.startsWith('unix:') ? unixPath(address, base) : undefined;
    if (socket !== undefined && !socket) {
      problem(`${where}.address`, `${where}.address unix:PATH needs a socket path, got \`${address}\``);
      continue;
    }
    if (raw.ssh !== undefined) {
      if (address !== undefined && socket === undefined) {
        problem(where, `${where}: with ssh, give port (the agent's loopback port) or address: unix:PATH (its socket there), not address ${address}`);
      }
      if (socket !== undefined && raw.port !== undefined) problem(where, `${where}: give either port or address: unix:PATH with ssh, not both`);
      if (raw.tls !== undefined) problem(`${where}.tls`, `${where}.tls is not used with ssh (the SSH connection is the authentication); remove it`);
      const s = raw.ssh;
      if (!isObj(s)) {
        problem(`${where}.ssh`, `${where}.ssh must be a mapping {host, port, user, identity, known_hosts}`);
        continue;
      }
      const host = str(s, 'host', `${where}.ssh`, true);
      const agentPort = port(raw.port, `${where}.port`);
      if (raw.port === undefined && address === undefined) {
        problem(where, `${where}.port (the agent's loopback port on the SSH host) or ${where}.address: unix:PATH (its socket there) is required`);
      }
      if (!host || (!agentPort && !socket) || (address !== undefined && socket === undefined)) continue;
      const target: SshTarget = { host };
      const sshPort = port(s.port, `${where}.ssh.port`);
      if (sshPort) target.port = sshPort;
      const user = str(s, 'user', `${where}.ssh`, false);
      if (user) target.user = user;
      const identity = str(s, 'identity', `${where}.ssh`, false);
      if (identity) target.identity = file(identity);
      const knownHosts = str(s, 'known_hosts', `${where}.ssh`, false);
      if (knownHosts) target.knownHosts = file(knownHosts);
      out.agents.set(name, socket ? { name, kind: 'ssh', ssh: target, socket } : { name, kind: 'ssh', ssh: target, port: agentPort! });
      continue;
    }
    if (!address) continue;
    if (socket) {
      if (raw.tls !== undefined) problem(`${where}.tls`, `${where}.tls is not used with a Unix socket (file permissions close it to other users); remove it`);
      else out.agents.set(name, { name, kind: 'unix', path: socket });
      continue;
    }
    if (!/^(\[[^\]]+\]|[^:\s]+):\d+$/.test(address)) {
      problem(`${where}.address`, `${where}.address must be HOST:PORT or unix:PATH, got \`${address}\``);
      continue;
    }
    if (raw.tls === undefined) {
      if (isLoopbackAddress(address)) out.agents.set(name, { name, kind: 'plain', address });
      else problem(where, `${where}: tls {ca, cert, key} is required for a non-loopback address (${address}); or use ssh + port`);
      continue;
    }
    const t = tls(raw.tls, `${where}.tls`);
    if (t) out.agents.set(name, { name, kind: 'tls', address, tls: t });
  }
  current = '';
  if (data.agent_tls !== undefined) {
    const t = tls(data.agent_tls, 'agent_tls');
    if (t) out.adHocTls = t;
  }
  if (data.default_agent !== undefined) {
    if (typeof data.default_agent !== 'string' || !data.default_agent) problem('default_agent', 'default_agent must be an agent name, HOST:PORT or unix:PATH');
    else out.defaultAgent = data.default_agent;
  }
  return out;
}

/**
 * The problems of the config's `agents`, `agent_tls` and `default_agent` keys as positioned
 * diagnostics: tasker refuses such a config (exit 20) whether or not this run uses an agent.
 */
export function agentsConfigDiagnostics(
  data: Record<string, unknown>,
  configPath: string | undefined,
  positionOf?: (path: ConfigPath, which?: 'value' | 'key') => { line: number; col: number } | undefined,
): Diagnostic[] {
  if (!['agents', 'agent_tls', 'default_agent'].some((k) => data[k] !== undefined)) return [];
  return parseAgentsConfig(data, configPath).issues.map(({ path, message }) => {
    const d: Diagnostic = { code: 'CONFIG_INVALID', severity: 'error', message };
    const pos = positionOf?.(path, 'key') ?? positionOf?.(path);
    if (pos) Object.assign(d, { line: pos.line, col: pos.col });
    return d;
  });
}

/** The absolute socket path of `unix:PATH` (relative to `base`); '' when PATH is empty. */
export function unixPath(address: string, base: string): string {
  const raw = address.slice('unix:'.length).replace(/^\/\/(?=\/)/, '');
  return raw ? resolvePath(base, raw) : '';
}

/** True for `127.x.x.x:P`, `[::1]:P`, `localhost:P`. */
export function isLoopbackAddress(address: string): boolean {
  const host = address.replace(/:\d+$/, '').replace(/^\[|\]$/g, '').toLowerCase();
  return host === 'localhost' || host === '::1' || /^127\.\d+\.\d+\.\d+$/.test(host);
}

/**
 * The spec for an agent name, an ad-hoc `unix:PATH` (relative to `cwd`) or `HOST:PORT`. Undefined
 * with a reason when neither a configured name nor a usable address.
 */
export function lookupAgentSpec(nameOrAddress: string, config: AgentsConfig, cwd = process.cwd()): { spec?: AgentSpec; problem?: string } {
  const named = config.agents.get(nameOrAddress);
  if (named) return { spec: named };
  if (nameOrAddress.startsWith('unix:')) {
    const path = unixPath(nameOrAddress, cwd);
    return path ? { spec: { name: nameOrAddress, kind: 'unix', path } } : { problem: `\`${nameOrAddress}\`: unix:PATH needs a socket path` };
  }
  if (/^(\[[^\]]+\]|[^:\s]+):\d+$/.test(nameOrAddress)) {
    if (config.adHocTls) return { spec: { name: nameOrAddress, kind: 'tls', address: nameOrAddress, tls: config.adHocTls } };
    if (isLoopbackAddress(nameOrAddress)) return { spec: { name: nameOrAddress, kind: 'plain', address: nameOrAddress } };
    return { problem: `agent ${nameOrAddress}: not loopback and no agent_tls {ca, cert, key} in the config for mutual TLS` };
  }
  const known = [...config.agents.keys()];
  return {
    problem: `unknown agent \`${nameOrAddress}\`${known.length ? ` (configured: ${known.join(', ')})` : ' (no agents: section in the config)'}; give a name from the config, unix:PATH or HOST:PORT`,
  };
}
