/**
 * A real nats-server with JetStream for tests: free port, temporary store, restartable on the same
 * port and store, stopped by its own PID only; and a JetStream cluster of several (startNatsCluster).
 */
import { spawn, type ChildProcess } from 'node:child_process';
import { killWithTestProcess } from './child-cleanup.js';
import { existsSync } from 'node:fs';
import { freePort } from './free-port.js';
import { mkdtemp, rm, writeFile } from 'node:fs/promises';
import { connect as tcpConnect } from 'node:net';
import { tmpdir } from 'node:os';
import { join } from 'node:path';

export { freePort };

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
  let port = await freePort();
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

  // The port was free a moment before nats-server binds it; should another process take it
  // meanwhile, the server starts on another (a restart later keeps the port it has).
  for (let attempt = 1; ; attempt++) {
    try {
      await launch();
      break;
    } catch (e) {
      if (attempt >= 3 || !/address already in use/.test((e as Error).message)) throw e;
      port = await freePort();
    }
  }
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

/** Where one member of a test cluster listens and keeps its store. */
export interface ClusterNodePlan {
  /** `n1`, `n2`, … (the JetStream `server_name`). */
  readonly name: string;
  readonly port: number;
  readonly clusterPort: number;
  readonly httpPort: number;
  readonly storeDir: string;
}

export interface ClusterNode extends ClusterNodePlan {
  readonly url: string;
  readonly pid: number | undefined;
  readonly running: boolean;
  /** SIGKILL (no lame duck, no flush), wait for the exit. */
  kill9(): Promise<void>;
  /** SIGTERM (an orderly shutdown, as a restart or an upgrade does: the others mark it offline at once), wait for the exit. */
  stop(): Promise<void>;
  /** Start again with the same config, ports and store (nothing when it runs: a test's teardown may restart what the test did). */
  start(): Promise<void>;
}

export interface NatsClusterOptions {
  /** Members (default 3). */
  size?: number;
  /**
   * The config file of one member, from its plan and every member's (routes). Default: JetStream
   * on loopback, no auth. Files in `files` are written next to it (for `include`), after every
   * member's config was made (so configFor may add to them).
   */
  configFor?: (node: ClusterNodePlan, all: readonly ClusterNodePlan[]) => string;
  files?: Record<string, string>;
}

export interface TestNatsCluster {
  readonly nodes: readonly ClusterNode[];
  /** Every member's client URL, comma-separated (what agents and controllers are given). */
  readonly url: string;
  node(name: string): ClusterNode;
  /** Until every running member sees the same JetStream meta leader with a quorum. */
  waitReady(): Promise<void>;
  /** Stop every member (SIGTERM, then SIGKILL) and remove the stores. */
  dispose(): Promise<void>;
}

/** A plain JetStream cluster member on loopback. */
export function plainClusterConfig(node: ClusterNodePlan, all: readonly ClusterNodePlan[]): string {
  return [
    `server_name: ${node.name}`,
    `listen: 127.0.0.1:${node.port}`,
    `http: 127.0.0.1:${node.httpPort}`,
    `jetstream { store_dir: "${node.storeDir}" }`,
    'cluster {',
    '  name: tasker-test',
    `  listen: 127.0.0.1:${node.clusterPort}`,
    `  routes: [${all.map((n) => `nats-route://127.0.0.1:${n.clusterPort}`).join(', ')}]`,
    '}',
    '',
  ].join('\n');
}

/**
 * A real JetStream cluster of nats-server processes on loopback, routes between them, each member
 * with its own ports, config file and store. Members are stopped by their own PIDs only.
 */
export async function startNatsCluster(opts: NatsClusterOptions = {}): Promise<TestNatsCluster> {
  const dir = await mkdtemp(join(tmpdir(), 'tasker-nats-cluster-'));
  // The ports were free a moment before nats-server binds them; another process (a connection's
  // ephemeral port) may take one meanwhile. Then the cluster starts again on other ports.
  for (let attempt = 1; ; attempt++) {
    const nodes = await planClusterNodes(dir, opts);
    // Written once the members are planned: a configFor may add the files its configs include.
    for (const [name, text] of Object.entries(opts.files ?? {})) await writeFile(join(dir, name), text);
    try {
      await Promise.all(nodes.map((n) => n.start()));
      await waitClusterReady(nodes);
      return clusterOf(nodes, dir);
    } catch (e) {
      await Promise.all(nodes.map((n) => n.stop()));
      if (attempt >= 3 || !/address already in use/.test((e as Error).message)) throw e;
      await Promise.all(nodes.map((n) => rm(n.storeDir, { recursive: true, force: true })));
    }
  }
}

async function planClusterNodes(dir: string, opts: NatsClusterOptions): Promise<ClusterNode[]> {
  const plans: ClusterNodePlan[] = [];
  for (let i = 1; i <= (opts.size ?? 3); i++) {
    plans.push({ name: `n${i}`, port: await freePort(), clusterPort: await freePort(), httpPort: await freePort(), storeDir: join(dir, `store-n${i}`) });
  }
  return plans.map((plan) => clusterNode(plan, dir, (opts.configFor ?? plainClusterConfig)(plan, plans)));
}

function clusterOf(nodes: ClusterNode[], dir: string): TestNatsCluster {
  return {
    nodes,
    url: nodes.map((n) => n.url).join(','),
    node: (name) => nodes.find((n) => n.name === name) ?? assertNever(`no cluster member ${name}`),
    waitReady: () => waitClusterReady(nodes),
    dispose: async () => {
      await Promise.all(nodes.map((n) => n.stop()));
      await rm(dir, { recursive: true, force: true });
    },
  };
}

function assertNever(message: string): never {
  throw new Error(message);
}

function clusterNode(plan: ClusterNodePlan, dir: string, config: string): ClusterNode {
  const confFile = join(dir, `${plan.name}.conf`);
  let child: ChildProcess | undefined;
  let log = '';
  const end = async (signal: NodeJS.Signals) => {
    const c = child;
    child = undefined;
    if (!c || c.exitCode !== null || c.signalCode !== null) return;
    const exited = new Promise<void>((r) => c.once('exit', () => r()));
    c.kill(signal);
    const t = setTimeout(() => c.kill('SIGKILL'), 5000);
    await exited;
    clearTimeout(t);
  };
  return {
    ...plan,
    url: `nats://127.0.0.1:${plan.port}`,
    get pid() {
      return child?.pid;
    },
    get running() {
      return child !== undefined;
    },
    kill9: () => end('SIGKILL'),
    stop: () => end('SIGTERM'),
    start: async () => {
      if (child && child.exitCode === null && child.signalCode === null) return;
      await writeFile(confFile, config);
      log = '';
      const c = spawn(NATS_SERVER_BIN, ['-c', confFile], { stdio: ['ignore', 'pipe', 'pipe'] });
      killWithTestProcess(c);
      c.stdout!.on('data', (d) => (log += d));
      c.stderr!.on('data', (d) => (log += d));
      child = c;
      const deadline = Date.now() + 20_000;
      while (Date.now() < deadline) {
        if (c.exitCode !== null) throw new Error(`nats-server ${plan.name} exited (${c.exitCode}): ${log}`);
        if (/Server is ready/.test(log) && (await canConnect(plan.port))) return;
        await new Promise((r) => setTimeout(r, 50));
      }
      throw new Error(`nats-server ${plan.name} did not start on ${plan.port}: ${log}`);
    },
  };
}

/** Poll each running member's /jsz until all name the same meta leader, which has a quorum. */
async function waitClusterReady(nodes: readonly ClusterNode[]): Promise<void> {
  const deadline = Date.now() + 30_000;
  let last = '';
  while (Date.now() < deadline) {
    const leaders = await Promise.all(nodes.filter((n) => n.running).map(async (n) => {
      try {
        const res = await fetch(`http://127.0.0.1:${n.httpPort}/jsz`);
        const jsz = (await res.json()) as { meta_cluster?: { leader?: string; cluster_size?: number } };
        return jsz.meta_cluster?.leader ?? '';
      } catch (e) {
        return `(${(e as Error).message})`;
      }
    }));
    last = leaders.join(', ');
    if (leaders.length && leaders.every((l) => l !== '' && l === leaders[0] && !l.startsWith('('))) return;
    await new Promise((r) => setTimeout(r, 100));
  }
  throw new Error(`the JetStream cluster has no common meta leader: ${last}`);
}
