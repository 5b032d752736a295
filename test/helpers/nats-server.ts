/**
 * A real nats-server with JetStream for tests: free port, temporary store, restartable on the same
 * port and store, stopped by its own PID only.
 */
import { spawn, type ChildProcess } from 'node:child_process';
import { killWithTestProcess } from './child-cleanup.js';
import { existsSync } from 'node:fs';
import { mkdtemp, rm } from 'node:fs/promises';
import { createServer, connect as tcpConnect } from 'node:net';
import { tmpdir } from 'node:os';
import { join } from 'node:path';

export const NATS_SERVER_BIN =
  process.env.NATS_SERVER_BIN ?? (existsSync('/usr/sbin/nats-server') ? '/usr/sbin/nats-server' : 'nats-server');

export interface NatsServerOptions {
  /** Start without JetStream (to test the error). */
  noJetStream?: boolean;
  /** Extra nats-server arguments (e.g. --user/--pass). */
  args?: string[];
}

export interface TestNatsServer {
  readonly port: number;
  readonly url: string;
  readonly storeDir: string;
  readonly pid: number | undefined;
  /** Stop (SIGTERM, then SIGKILL) and start again on the same port and store. */
  restart(): Promise<void>;
  /** Stop the server (keeps the store). */
  stop(): Promise<void>;
  /** Stop and remove the store. */
  dispose(): Promise<void>;
}

/** A TCP port that was free a moment ago. */
export async function freePort(): Promise<number> {
  return new Promise((resolve, reject) => {
    const srv = createServer();
    srv.unref();
    srv.on('error', reject);
    srv.listen(0, '127.0.0.1', () => {
      const addr = srv.address();
      const port = typeof addr === 'object' && addr ? addr.port : 0;
      srv.close(() => resolve(port));
    });
  });
}

function canConnect(port: number): Promise<boolean> {
  return new Promise((resolve) => {
    const s = tcpConnect({ port, host: '127.0.0.1' });
    s.once('connect', () => {
      s.destroy();
      resolve(true);
    });
    s.once('error', () => resolve(false));
  });
}

/** Start `nats-server -js -p <free port> -sd <temp store>` and wait until it accepts connections. */
export async function startNatsServer(opts: NatsServerOptions = {}): Promise<TestNatsServer> {
  const port = await freePort();
  const storeDir = await mkdtemp(join(tmpdir(), 'tasker-nats-store-'));
  let child: ChildProcess | undefined;
  let log = '';

  const launch = async () => {
    const args = ['-a', '127.0.0.1', '-p', String(port), ...(opts.noJetStream ? [] : ['-js', '-sd', storeDir]), ...(opts.args ?? [])];
    log = '';
    const c = spawn(NATS_SERVER_BIN, args, { stdio: ['ignore', 'pipe', 'pipe'] });
    killWithTestProcess(c);
    c.stdout!.on('data', (d) => (log += d));
    c.stderr!.on('data', (d) => (log += d));
    child = c;
    const deadline = Date.now() + 15_000;
    while (Date.now() < deadline) {
      if (c.exitCode !== null) throw new Error(`nats-server exited (${c.exitCode}): ${log}`);
      if ((opts.noJetStream || /Server is ready/.test(log)) && (await canConnect(port))) return;
      await new Promise((r) => setTimeout(r, 50));
    }
    throw new Error(`nats-server did not start on ${port}: ${log}`);
  };

  const stop = async () => {
    const c = child;
    child = undefined;
    if (!c || c.exitCode !== null || c.signalCode !== null) return;
    const exited = new Promise<void>((r) => c.once('exit', () => r()));
    c.kill('SIGTERM');
    const t = setTimeout(() => c.kill('SIGKILL'), 5000);
    await exited;
    clearTimeout(t);
  };

  await launch();
  return {
    port,
    url: `nats://127.0.0.1:${port}`,
    storeDir,
    get pid() {
      return child?.pid;
    },
    restart: async () => {
      await stop();
      await launch();
    },
    stop,
    dispose: async () => {
      await stop();
      await rm(storeDir, { recursive: true, force: true });
    },
  };
}
