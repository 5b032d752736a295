import { isAbsolute, dirname, resolve as resolvePath } from 'node:path';
import type { SshTarget } from '../../shared/ssh/connect.js';

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
  /** Plaintext gRPC: only to a loopback address (a local agent, or one reached by other means). */
  | { name: string; kind: 'plain'; address: string }
  /** Through an SSH tunnel to the agent's loopback `port` on the SSH host. */
  | { name: string; kind: 'ssh'; ssh: SshTarget; port: number; agentHost?: string };

export interface AgentsConfig {
  agents: Map<string, AgentSpec>;
  defaultAgent?: string;
  /** TLS used for an ad-hoc `--agent HOST:PORT` that is not loopback (config key `agent_tls`). */
  adHocTls?: AgentTlsFiles;
  /** Problems found, each naming the config path (`agents.web.tls.ca`). */
  problems: string[];
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
  const out: AgentsConfig = { agents: new Map(), problems: [] };
  if (!isObj(data)) return out;
  const base = configPath ? dirname(configPath) : process.cwd();
  const file = (v: string) => (v.startsWith('~') || isAbsolute(v) ? v : resolvePath(base, v));
  const str = (o: Obj, key: string, where: string, required: boolean): string | undefined => {
    const v = o[key];
    if (v === undefined || v === null) {
      if (required) out.problems.push(`${where}.${key} is required`);
      return undefined;
    }
    if (typeof v !== 'string' || v === '') {
      out.problems.push(`${where}.${key} must be a non-empty string`);
      return undefined;
    }
    return v;
  };
  const port = (v: unknown, where: string): number | undefined => {
    if (v === undefined) return undefined;
    if (typeof v !== 'number' || !Number.isInteger(v) || v < 1 || v > 65535) {
      out.problems.push(`${where} must be a port number 1-65535, got ${JSON.stringify(v)}`);
      return undefined;
    }
    return v;
  };
  const tls = (v: unknown, where: string): AgentTlsFiles | undefined => {
    if (!isObj(v)) {
      out.problems.push(`${where} must be a mapping with ca, cert, key`);
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
  if (agents !== undefined && !isObj(agents)) out.problems.push('agents must be a mapping of agent name to settings');
  for (const [name, raw] of Object.entries(isObj(agents) ? agents : {})) {
    const where = `agents.${name}`;
    if (!isObj(raw)) {
      out.problems.push(`${where} must be a mapping (address + tls, or ssh + port)`);
      continue;
    }
    if (raw.ssh !== undefined) {
      if (raw.address !== undefined) out.problems.push(`${where}: give either address (+ tls) or ssh (+ port), not both`);
      const s = raw.ssh;
      if (!isObj(s)) {
        out.problems.push(`${where}.ssh must be a mapping {host, port, user, identity, known_hosts}`);
        continue;
      }
      const host = str(s, 'host', `${where}.ssh`, true);
      const agentPort = port(raw.port, `${where}.port`);
      if (raw.port === undefined) out.problems.push(`${where}.port (the agent's loopback port on the SSH host) is required`);
      if (!host || !agentPort) continue;
      const target: SshTarget = { host };
      const sshPort = port(s.port, `${where}.ssh.port`);
      if (sshPort) target.port = sshPort;
      const user = str(s, 'user', `${where}.ssh`, false);
      if (user) target.user = user;
      const identity = str(s, 'identity', `${where}.ssh`, false);
      if (identity) target.identity = file(identity);
      const knownHosts = str(s, 'known_hosts', `${where}.ssh`, false);
      if (knownHosts) target.knownHosts = file(knownHosts);
      out.agents.set(name, { name, kind: 'ssh', ssh: target, port: agentPort });
      continue;
    }
    const address = str(raw, 'address', where, true);
    if (!address) continue;
    if (!/^(\[[^\]]+\]|[^:\s]+):\d+$/.test(address)) {
      out.problems.push(`${where}.address must be HOST:PORT, got \`${address}\``);
      continue;
    }
    if (raw.tls === undefined) {
      if (isLoopbackAddress(address)) out.agents.set(name, { name, kind: 'plain', address });
      else out.problems.push(`${where}: tls {ca, cert, key} is required for a non-loopback address (${address}); or use ssh + port`);
      continue;
    }
    const t = tls(raw.tls, `${where}.tls`);
    if (t) out.agents.set(name, { name, kind: 'tls', address, tls: t });
  }
  if (data.agent_tls !== undefined) {
    const t = tls(data.agent_tls, 'agent_tls');
    if (t) out.adHocTls = t;
  }
  if (data.default_agent !== undefined) {
    if (typeof data.default_agent !== 'string' || !data.default_agent) out.problems.push('default_agent must be an agent name or HOST:PORT');
    else out.defaultAgent = data.default_agent;
  }
  return out;
}

/** True for `127.x.x.x:P`, `[::1]:P`, `localhost:P`. */
export function isLoopbackAddress(address: string): boolean {
  const host = address.replace(/:\d+$/, '').replace(/^\[|\]$/g, '').toLowerCase();
  return host === 'localhost' || host === '::1' || /^127\.\d+\.\d+\.\d+$/.test(host);
}

/**
 * The spec for an agent name or an ad-hoc `HOST:PORT`. Undefined with a reason when neither a
 * configured name nor a usable address.
 */
export function lookupAgentSpec(nameOrAddress: string, config: AgentsConfig): { spec?: AgentSpec; problem?: string } {
  const named = config.agents.get(nameOrAddress);
  if (named) return { spec: named };
  if (/^(\[[^\]]+\]|[^:\s]+):\d+$/.test(nameOrAddress)) {
    if (config.adHocTls) return { spec: { name: nameOrAddress, kind: 'tls', address: nameOrAddress, tls: config.adHocTls } };
    if (isLoopbackAddress(nameOrAddress)) return { spec: { name: nameOrAddress, kind: 'plain', address: nameOrAddress } };
    return { problem: `agent ${nameOrAddress}: not loopback and no agent_tls {ca, cert, key} in the config for mutual TLS` };
  }
  const known = [...config.agents.keys()];
  return {
    problem: `unknown agent \`${nameOrAddress}\`${known.length ? ` (configured: ${known.join(', ')})` : ' (no agents: section in the config)'}; give a name from the config or HOST:PORT`,
  };
}
