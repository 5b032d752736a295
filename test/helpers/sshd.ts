import { execFile, spawn, type ChildProcess } from 'node:child_process';
import { killWithTestProcess } from './child-cleanup.js';
import { freePort } from './free-port.js';
import { mkdirSync } from 'node:fs';
import { mkdtemp, readFile, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { dirname, join } from 'node:path';
import { promisify } from 'node:util';

const run = promisify(execFile);

export { freePort };

/** A real OpenSSH server for tests (on loopback unless told otherwise), with its own keys and config. */
export interface TestSshd {
  /** The listen address (127.0.0.1 by default). */
  host: string;
  port: number;
  /** Login user (the current user). */
  user: string;
  /** Private key accepted by the server (ed25519, no passphrase). */
  identity: string;
  /** known_hosts holding the server's host key as `[HOST]:PORT` (`HOST` for port 22). */
  knownHosts: string;
  /** Temp dir holding everything (also HOME of the sessions, so no slow .bashrc runs). */
  dir: string;
  pid: number;
  stop(): Promise<void>;
}

/** Resolve once sshd logs that it listens (LogLevel INFO); throw if it exits first or never does. */
async function waitForListening(child: ChildProcess, stderr: () => string): Promise<void> {
  for (let i = 0; i < 400; i++) {
    if (/Server listening on /.test(stderr())) return;
    if (child.exitCode !== null || child.signalCode !== null) throw new Error(`sshd exited with ${child.exitCode ?? child.signalCode}: ${stderr()}`);
    await new Promise((r) => setTimeout(r, 25));
  }
  throw new Error(`sshd did not come up: ${stderr()}`);
}

export interface SshdOptions {
  /** Listen address. Default 127.0.0.1. */
  host?: string;
  /** Default: a free loopback port. */
  port?: number;
  /** Directories put first on the sessions' PATH (e.g. fixture commands standing in for the host's). */
  pathPrefix?: string[];
  /** More environment variables for the sessions (sshd `SetEnv`). */
  env?: Record<string, string>;
  /**
   * Turns sshd's argv into the argv actually spawned, e.g. to run it in a network namespace
   * (`['ip', 'netns', 'exec', NS, ...argv]`) or a private mount namespace. It must exec sshd in
   * the end, so the spawned PID is sshd's.
   */
  wrap?: (argv: string[]) => string[];
}

/**
 * Start /usr/sbin/sshd in the foreground on a free loopback port. Sessions get HOME set to the temp
 * dir (SetEnv), so the login shell does not source the real user's rc files, and PATH includes
 * the directory of the running node.
 */
export async function startSshd(opts: SshdOptions = {}): Promise<TestSshd> {
  mkdirSync('/run/sshd', { recursive: true, mode: 0o755 });
  const dir = await mkdtemp(join(tmpdir(), 'tasker-sshd-'));
  const hostKey = join(dir, 'host_ed25519');
  const identity = join(dir, 'client_ed25519');
  await run('ssh-keygen', ['-q', '-t', 'ed25519', '-N', '', '-f', hostKey]);
  await run('ssh-keygen', ['-q', '-t', 'ed25519', '-N', '', '-f', identity, '-C', 'tasker-test']);
  await writeFile(join(dir, 'authorized_keys'), await readFile(`${identity}.pub`));
  const host = opts.host ?? '127.0.0.1';
  const port = opts.port ?? (await freePort());
  const path = [...(opts.pathPrefix ?? []), dirname(process.execPath), '/usr/local/sbin', '/usr/local/bin', '/usr/sbin', '/usr/bin', '/sbin', '/bin'].join(':');
  const config = join(dir, 'sshd_config');
  await writeFile(
    config,
    [
      `Port ${port}`,
      `ListenAddress ${host}`,
      `HostKey ${hostKey}`,
      `PidFile ${join(dir, 'sshd.pid')}`,
      `AuthorizedKeysFile ${join(dir, 'authorized_keys')}`,
      'PubkeyAuthentication yes',
      'PasswordAuthentication no',
      'KbdInteractiveAuthentication no',
      'UsePAM no',
      'StrictModes no',
      'PermitRootLogin yes',
      'AllowTcpForwarding yes',
      'MaxSessions 100',
      'MaxStartups 100:30:200',
      'Subsystem sftp internal-sftp',
      `SetEnv HOME=${dir} PATH=${path}${Object.entries(opts.env ?? {}).map(([k, v]) => ` ${k}=${v}`).join('')}`,
      'LogLevel INFO',
      '',
    ].join('\n'),
  );
  const hostPub = (await readFile(`${hostKey}.pub`, 'utf8')).trim().split(/\s+/).slice(0, 2).join(' ');
  const knownHosts = join(dir, 'known_hosts');
  await writeFile(knownHosts, `${port === 22 ? host : `[${host}]:${port}`} ${hostPub}\n`);

  const argv = ['/usr/sbin/sshd', '-D', '-e', '-f', config];
  const [cmd, ...args] = opts.wrap ? opts.wrap(argv) : argv;
  const child = spawn(cmd!, args, { stdio: ['ignore', 'ignore', 'pipe'] });
  killWithTestProcess(child);
  let err = '';
  child.stderr!.on('data', (d: Buffer) => (err += d.toString()));
  await waitForListening(child, () => err);
  const user = process.env.USER ?? (await run('id', ['-un'])).stdout.trim();
  return {
    host,
    port,
    user,
    identity,
    knownHosts,
    dir,
    pid: child.pid!,
    async stop() {
      if (child.exitCode === null) {
        const exited = new Promise((r) => child.once('exit', r));
        child.kill('SIGTERM');
        await exited;
      }
      await rm(dir, { recursive: true, force: true });
    },
  };
}
