import { existsSync } from 'node:fs';
import { readFile } from 'node:fs/promises';
import { connect as netConnect } from 'node:net';
import { homedir } from 'node:os';
import { join } from 'node:path';
import type { Client, ConnectConfig } from 'ssh2';
import { hostKeyAlgorithms, knownHostsName, lookupHostKeys, parseKnownHosts } from './known-hosts.js';
import { ConnectError } from '../errors/index.js';

/** Where and how to reach an SSH server. */
export interface SshTarget {
  host: string;
  /** Default 22. */
  port?: number;
  /** Default: $USER / $LOGNAME / the current user. */
  user?: string;
  /** Private key file. Default: the first of ~/.ssh/id_ed25519, id_ecdsa, id_rsa that exists. */
  identity?: string;
  /** Default ~/.ssh/known_hosts. Host keys are always checked strictly against it. */
  knownHosts?: string;
  /** ssh-agent socket; default $SSH_AUTH_SOCK. */
  agentSocket?: string;
  /** Connect/handshake timeout, default 10 s. */
  readyTimeoutMs?: number;
}

export function describeTarget(t: SshTarget): string {
  return `${t.user ? `${t.user}@` : ''}${t.host}${t.port && t.port !== 22 ? `:${t.port}` : ''}`;
}

function expandHome(path: string, home: string): string {
  return path === '~' ? home : path.startsWith('~/') ? join(home, path.slice(2)) : path;
}

/**
 * Open an authenticated ssh2 connection: TCP no-delay (ssh2 leaves Nagle on, ~40 ms per exchange),
 * strict host-key checking against known_hosts (an unknown or changed key is refused, never
 * learned), key and/or ssh-agent authentication, keepalives so a dead link is noticed in ~15 s.
 */
export async function connectSsh(target: SshTarget, env: NodeJS.ProcessEnv = process.env): Promise<Client> {
  const { Client: SshClient } = await import('ssh2');
  const home = env.HOME || homedir();
  const port = target.port ?? 22;
  const where = describeTarget({ ...target, port });
  const knownHostsPath = expandHome(target.knownHosts ?? join(home, '.ssh', 'known_hosts'), home);
  let knownText: string;
  try {
    knownText = await readFile(knownHostsPath, 'utf8');
  } catch (err) {
    throw new ConnectError(`${where}: cannot read known_hosts ${knownHostsPath}: ${(err as Error).message}`);
  }
  const { keys, revoked } = lookupHostKeys(parseKnownHosts(knownText), target.host, port);
  if (keys.length === 0) {
    throw new ConnectError(
      `${where}: host ${knownHostsName(target.host, port)} is not in ${knownHostsPath}; add its key ` +
        `(e.g. ssh-keyscan -p ${port} ${target.host} >> ${knownHostsPath}, after checking the fingerprint)`,
    );
  }
  let privateKey: Buffer | undefined;
  const identity = target.identity
    ? expandHome(target.identity, home)
    : ['id_ed25519', 'id_ecdsa', 'id_rsa'].map((f) => join(home, '.ssh', f)).find((f) => existsSync(f));
  if (identity) {
    try {
      privateKey = await readFile(identity);
    } catch (err) {
      if (target.identity) throw new ConnectError(`${where}: cannot read identity ${identity}: ${(err as Error).message}`);
    }
  }
  const agent = target.agentSocket ?? env.SSH_AUTH_SOCK;
  if (!privateKey && !agent) {
    throw new ConnectError(`${where}: no identity file (~/.ssh/id_ed25519, id_ecdsa, id_rsa) and no ssh-agent ($SSH_AUTH_SOCK)`);
  }

  const sock = netConnect({ host: target.host, port, noDelay: true });
  sock.setNoDelay(true);
  const readyTimeout = target.readyTimeoutMs ?? 10_000;
  await new Promise<void>((resolve, reject) => {
    const timer = setTimeout(() => {
      sock.destroy();
      reject(new ConnectError(`${where}: TCP connect timed out after ${readyTimeout / 1000} s`));
    }, readyTimeout);
    sock.once('connect', () => {
      clearTimeout(timer);
      resolve();
    });
    sock.once('error', (err) => {
      clearTimeout(timer);
      reject(new ConnectError(`${where}: cannot connect: ${err.message}`, { cause: err }));
    });
  });

  const client = new SshClient();
  let hostKeyProblem: string | undefined;
  const config: ConnectConfig = {
    sock,
    username: target.user ?? env.USER ?? env.LOGNAME ?? 'root',
    readyTimeout,
    keepaliveInterval: 5000,
    keepaliveCountMax: 3,
    algorithms: { serverHostKey: hostKeyAlgorithms(keys.map((k) => k.type)) as never },
    hostVerifier: (key: Buffer) => {
      if (revoked.some((r) => r.equals(key))) {
        hostKeyProblem = `${where}: the host key is marked @revoked in ${knownHostsPath}`;
        return false;
      }
      if (keys.some((k) => k.key.equals(key))) return true;
      hostKeyProblem = `${where}: HOST KEY MISMATCH: the key offered does not match ${knownHostsPath} (possible man-in-the-middle); refusing to connect`;
      return false;
    },
  };
  if (privateKey) config.privateKey = privateKey;
  if (agent) config.agent = agent;
  return new Promise<Client>((resolve, reject) => {
    const onError = (err: Error & { level?: string }) => {
      sock.destroy();
      const why = hostKeyProblem ?? (err.level === 'client-authentication' ? `${where}: authentication failed (key/agent refused)` : `${where}: ${err.message}`);
      reject(new ConnectError(why, { cause: err }));
    };
    client.once('error', onError);
    client.once('ready', () => {
      client.off('error', onError);
      // Later errors (a dropped link) are reported through 'close'; keep them from crashing the process.
      client.on('error', () => undefined);
      resolve(client);
    });
    try {
      client.connect(config);
    } catch (err) {
      onError(err as Error);
    }
  });
}
