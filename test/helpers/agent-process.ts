import { spawn, type ChildProcess } from 'node:child_process';
import { readdirSync, readFileSync } from 'node:fs';
import { mkdtemp } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { initCa, issueCert } from '../../agent/certs/certs.js';
import { killWithTestProcess } from './child-cleanup.js';

/** A real `tasker-agent serve` process started for a test. */
export interface AgentProcess {
  /** `127.0.0.1:PORT`, or `unix:PATH` for an agent on a Unix socket. */
  address: string;
  /** 0 on a Unix socket. */
  port: number;
  pid: number;
  child: ChildProcess;
  /** Everything the agent wrote to stderr (its JSON log). */
  log(): string;
  /** Resolves with the exit code once the process is gone. */
  exited: Promise<number | null>;
  /** SIGTERM (if still running) and wait for exit. */
  stop(): Promise<number | null>;
}

const CLI = join(import.meta.dirname, '..', '..', 'agent', 'cli', 'tasker-agent.ts');
/** tsx's loader as a URL, so the agent starts from any working directory. */
const TSX = import.meta.resolve('tsx');

/**
 * Run `node --import tsx agent/cli/tasker-agent.ts serve ARGS` and wait for "listening on".
 * `wrap` turns that argv into the one spawned (e.g. `ip netns exec NS …`); it must exec it, so
 * the PID is the agent's. `env` adds to the agent's environment (which its tasks inherit).
 */
export async function startAgent(args: string[], opts: { wrap?: (argv: string[]) => string[]; env?: NodeJS.ProcessEnv } = {}): Promise<AgentProcess> {
  const argv = [process.execPath, '--import', TSX, CLI, 'serve', ...args];
  const [cmd, ...rest] = opts.wrap ? opts.wrap(argv) : argv;
  const child = spawn(cmd!, rest, { stdio: ['ignore', 'pipe', 'pipe'], ...(opts.env ? { env: { ...process.env, ...opts.env } } : {}) });
  let err = '';
  child.stderr!.on('data', (d: Buffer) => (err += d.toString()));
  const exited = new Promise<number | null>((resolve) => child.once('exit', (code) => resolve(code)));
  killWithTestProcess(child);
  const address = await new Promise<string>((resolve, reject) => {
    let out = '';
    child.stdout!.on('data', (d: Buffer) => {
      out += d.toString();
      const m = /listening on (\S+)/.exec(out);
      if (m) resolve(m[1]!);
    });
    void exited.then((code) => reject(new Error(`agent exited with ${code} before listening: ${err}`)));
  });
  return {
    address,
    port: address.startsWith('unix:') ? 0 : Number(/:(\d+)$/.exec(address)![1]),
    pid: child.pid!,
    child,
    log: () => err,
    exited,
    async stop() {
      if (child.exitCode === null && child.signalCode === null) child.kill('SIGTERM');
      return exited;
    },
  };
}

/** `unix:PATH` of a socket in a fresh 0700 directory (for `--listen`); the directory is the caller's to remove. */
export async function freshSocket(): Promise<string> {
  return `unix:${join(await mkdtemp(join(tmpdir(), 'tasker-agent-sock-')), 'agent.sock')}`;
}

/** How the controller reaches a plaintext agent started here: its Unix socket, or loopback TCP. */
export function plainSpec(agent: { address: string }, name = 'a'): { name: string; kind: 'unix'; path: string } | { name: string; kind: 'plain'; address: string } {
  return agent.address.startsWith('unix:') ? { name, kind: 'unix', path: agent.address.slice(5) } : { name, kind: 'plain', address: agent.address };
}

/** Run the CLI once (not serve) and collect its output. */
export async function runAgentCli(args: string[]): Promise<{ code: number | null; stdout: string; stderr: string }> {
  const child = spawn(process.execPath, ['--import', 'tsx', CLI, ...args], { stdio: ['ignore', 'pipe', 'pipe'] });
  let stdout = '';
  let stderr = '';
  child.stdout!.on('data', (d: Buffer) => (stdout += d.toString()));
  child.stderr!.on('data', (d: Buffer) => (stderr += d.toString()));
  // 'close', not 'exit': the output is read to the end before the result is used.
  const code = await new Promise<number | null>((resolve) => child.once('close', resolve));
  return { code, stdout, stderr };
}

export interface TestPki {
  dir: string;
  ca: string;
  agent: { cert: string; key: string };
  controller: { cert: string; key: string };
  /** A client cert with CN `intruder`, signed by the same CA (for --allow-client tests). */
  other: { cert: string; key: string };
  /** A client cert from a different CA. */
  foreign: { ca: string; cert: string; key: string };
}

/** A CA, an agent cert (SAN 127.0.0.1/localhost), a controller cert, and certs that must be refused. */
export async function createPki(): Promise<TestPki> {
  const dir = await mkdtemp(join(tmpdir(), 'tasker-pki-'));
  await initCa(dir);
  const agent = await issueCert({ dir, name: 'agent1', sans: ['127.0.0.1', 'localhost'], usage: 'server' });
  const controller = await issueCert({ dir, name: 'controller1', usage: 'client' });
  const other = await issueCert({ dir, name: 'intruder', usage: 'client' });
  const foreignDir = join(dir, 'foreign');
  await initCa(foreignDir);
  const foreign = await issueCert({ dir: foreignDir, name: 'controller1', usage: 'client' });
  return { dir, ca: join(dir, 'ca.crt'), agent, controller, other, foreign: { ca: join(foreignDir, 'ca.crt'), ...foreign } };
}

/** SIGKILL `pid` unless it is gone already (it may exit between a listing and the kill). */
export function killIfAlive(pid: number): void {
  try {
    process.kill(pid, 'SIGKILL');
  } catch (e) {
    if ((e as NodeJS.ErrnoException).code !== 'ESRCH') throw e;
  }
}

/** PIDs of live processes whose command line contains `marker` (zombies excluded). */
export function processesMatching(marker: string): number[] {
  const pids: number[] = [];
  for (const entry of readdirSync('/proc')) {
    if (!/^\d+$/.test(entry)) continue;
    try {
      const cmd = readFileSync(`/proc/${entry}/cmdline`, 'utf8').replace(/\0/g, ' ');
      if (!cmd.includes(marker)) continue;
      const stat = readFileSync(`/proc/${entry}/stat`, 'utf8');
      if (/\) Z /.test(stat)) continue;
      pids.push(Number(entry));
    } catch {
      // gone meanwhile
    }
  }
  return pids;
}

/** Poll until `check` is true (no timing assertion: the ava timeout bounds it). */
export async function eventually(check: () => boolean | Promise<boolean>, stepMs = 50): Promise<void> {
  while (!(await check())) await new Promise((r) => setTimeout(r, stepMs));
}

/** A unique `sleep` duration to find a test's processes in /proc. */
export function uniqueSleep(): string {
  return `${100 + Math.floor(Math.random() * 800)}.${String(Date.now() % 100000).padStart(5, '0')}${process.pid % 10}`;
}

/**
 * The agent's log once `pattern` matches it, or as it is after `ms`: the log reaches this process
 * through a pipe, so a line the agent wrote near a run's end can arrive after the run returned.
 */
export async function agentLogMatching(agent: AgentProcess, pattern: RegExp, ms = 10_000): Promise<string> {
  for (const end = Date.now() + ms; ; await new Promise((resolve) => setTimeout(resolve, 50))) {
    const log = agent.log();
    if (pattern.test(log) || Date.now() > end) return log;
  }
}
