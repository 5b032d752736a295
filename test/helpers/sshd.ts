import { execFile, spawn, type ChildProcess } from 'node:child_process';
import { mkdirSync } from 'node:fs';
import { mkdtemp, readFile, rm, writeFile } from 'node:fs/promises';
import { createServer, connect } from 'node:net';
import { tmpdir } from 'node:os';
import { dirname, join } from 'node:path';
import { promisify } from 'node:util';

const run = promisify(execFile);

/** A real OpenSSH server on loopback for tests, with its own keys and config. */
export interface TestSshd {
  host: '127.0.0.1';
  port: number;
  /** Login user (the current user). */
  user: string;
  /** Private key accepted by the server (ed25519, no passphrase). */
  identity: string;
  /** known_hosts holding the server's host key as `[127.0.0.1]:PORT`. */
  knownHosts: string;
  /** Temp dir holding everything (also HOME of the sessions, so no slow .bashrc runs). */
  dir: string;
  pid: number;
  stop(): Promise<void>;
}

/** A free TCP port on 127.0.0.1 (bind :0, read, close). */
export async function freePort(): Promise<number> {
  return new Promise((resolve, reject) => {
    const srv = createServer();
    srv.once('error', reject);
    srv.listen(0, '127.0.0.1', () => {
      const { port } = srv.address() as { port: number };
      srv.close(() => resolve(port));
    });
  });
}

async function waitForPort(port: number, child: ChildProcess, stderr: () => string): Promise<void> {
  for (let i = 0; i < 200; i++) {
    if (child.exitCode !== null) throw new Error(`sshd exited with ${child.exitCode}: ${stderr()}`);
    const ok = await new Promise<boolean>((resolve) => {
      const s = connect({ host: '127.0.0.1', port });
      s.once('data', () => (s.destroy(), resolve(true))); // the SSH banner
      s.once('error', () => resolve(false));
    });
    if (ok) return;
    await new Promise((r) => setTimeout(r, 25));
  }
  throw new Error(`sshd did not come up on port ${port}: ${stderr()}`);
}

/**
 * Start /usr/sbin/sshd in the foreground on a free loopback port. Sessions get HOME set to the temp
 * dir (SetEnv), so the login shell does not source the real user's rc files, and PATH includes
 * the directory of the running node.
 */
export async function startSshd(): Promise<TestSshd> {
  mkdirSync('/run/sshd', { recursive: true, mode: 0o755 });
  const dir = await mkdtemp(join(tmpdir(), 'tasker-sshd-'));
  const hostKey = join(dir, 'host_ed25519');
  const identity = join(dir, 'client_ed25519');
  await run('ssh-keygen', ['-q', '-t', 'ed25519', '-N', '', '-f', hostKey]);
  await run('ssh-keygen', ['-q', '-t', 'ed25519', '-N', '', '-f', identity, '-C', 'tasker-test']);
  await writeFile(join(dir, 'authorized_keys'), await readFile(`${identity}.pub`));
  const port = await freePort();
  const path = [dirname(process.execPath), '/usr/local/sbin', '/usr/local/bin', '/usr/sbin', '/usr/bin', '/sbin', '/bin'].join(':');
  const config = join(dir, 'sshd_config');
  await writeFile(
    config,
    [
      `Port ${port}`,
      'ListenAddress 127.0.0.1',
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
      `SetEnv HOME=${dir} PATH=${path}`,
      'LogLevel ERROR',
      '',
    ].join('\n'),
  );
  const hostPub = (await readFile(`${hostKey}.pub`, 'utf8')).trim().split(/\s+/).slice(0, 2).join(' ');
  const knownHosts = join(dir, 'known_hosts');
  await writeFile(knownHosts, `[127.0.0.1]:${port} ${hostPub}\n`);

  const child = spawn('/usr/sbin/sshd', ['-D', '-e', '-f', config], { stdio: ['ignore', 'ignore', 'pipe'] });
  let err = '';
  child.stderr!.on('data', (d: Buffer) => (err += d.toString()));
  await waitForPort(port, child, () => err);
  const user = process.env.USER ?? (await run('id', ['-un'])).stdout.trim();
  return {
    host: '127.0.0.1',
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
