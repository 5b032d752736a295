/** Test fixtures for NATS tests: real worker processes, task files, an io that records output. */
import { spawn, type ChildProcess } from 'node:child_process';
import { mkdtempSync, readFileSync, existsSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { dirname, join, resolve } from 'node:path';
import { fileURLToPath } from 'node:url';
import type { CliIo } from '../../shared/cli-io.js';
import type { TaskRecord } from '../../controller/parallelr/types.js';
import type { TestFn } from 'ava';
import type { JetStreamManager } from '@nats-io/jetstream';
import { startNatsServer, type TestNatsServer } from '../helpers/nats-server.js';
import { connectNats, jetStreamManagerOf } from '../../shared/nats/connection.js';
import { ensureStreams } from '../../shared/nats/streams.js';
import { subjects } from '../../shared/nats/subjects.js';
import { JOB_VERSION, type JobMessage } from '../../shared/nats/schema.js';

export const ROOT = resolve(dirname(fileURLToPath(import.meta.url)), '../..');
export const WORKER_MAIN = join(ROOT, 'agent/nats/worker-main.ts');
export const CONTROLLER_MAIN = join(ROOT, 'test/nats/fixtures/controller-main.ts');
export const PARALLELR_BIN = join(ROOT, 'dist/controller/cli/parallelr.cjs');

/** The built parallelr bin with `env` added to this process's; resolves once its output is read to the end. */
export function runParallelrBin(args: string[], env: NodeJS.ProcessEnv): Promise<{ code: number | null; out: string; err: string }> {
  return new Promise((resolve) => {
    const child = spawn(process.execPath, [PARALLELR_BIN, ...args], { cwd: ROOT, env: { ...process.env, ...env }, stdio: ['ignore', 'pipe', 'pipe'] });
    let out = '';
    let err = '';
    child.stdout!.on('data', (d) => (out += d));
    child.stderr!.on('data', (d) => (err += d));
    child.once('close', (code) => resolve({ code, out, err }));
  });
}

/**
 * One nats-server for a test file and the workers its tests start: the server comes up before the
 * first test; after the last, every worker gets SIGKILL and the server stops.
 */
export function useNatsFleet(test: TestFn): { server: TestNatsServer; workers: WorkerProcess[] } {
  const fleet = { server: undefined as unknown as TestNatsServer, workers: [] as WorkerProcess[] };
  test.before(async () => {
    fleet.server = await startNatsServer();
  });
  test.after.always(async () => {
    for (const w of fleet.workers) await w.kill9();
    await fleet.server?.dispose();
  });
  return fleet;
}

export interface WorkerProcess {
  name: string;
  child: ChildProcess;
  pid: number;
  /** stderr so far (JSON log lines). */
  log(): string;
  /** SIGKILL, wait for exit. */
  kill9(): Promise<void>;
  /** SIGTERM (drain), wait for exit. */
  stop(): Promise<void>;
}

type WorkerOptions = { name: string; pool: string; max?: number; ackWaitSec?: number; env?: NodeJS.ProcessEnv; workdir?: string; config?: string; killGraceSec?: number };

/** Start `node --import tsx agent/nats/worker-main.ts …` and wait for its `ready` line. */
export async function startWorker(url: string, opts: WorkerOptions): Promise<WorkerProcess> {
  return launchWorker(url, opts).ready;
}

/** Start a worker; its process (log readable at once) and the wait for its `ready` line. */
export function launchWorker(url: string, opts: WorkerOptions): { worker: WorkerProcess; ready: Promise<WorkerProcess> } {
  const args = ['--import', 'tsx', WORKER_MAIN, '--nats', url, '--pool', opts.pool, '--max', String(opts.max ?? 2), '--name', opts.name, '--drain-timeout', '5'];
  if (opts.workdir) args.push('--workdir', opts.workdir);
  if (opts.config) args.push('--config', opts.config);
  if (opts.killGraceSec !== undefined) args.push('--kill-grace', String(opts.killGraceSec));
  const child = spawn(process.execPath, args, {
    cwd: ROOT,
    env: { ...process.env, ...opts.env, TASKER_NATS_ACK_WAIT: String(opts.ackWaitSec ?? 2) },
    stdio: ['ignore', 'pipe', 'pipe'],
  });
  let out = '';
  let err = '';
  child.stdout!.on('data', (d) => (out += d));
  child.stderr!.on('data', (d) => (err += d));
  const exited = new Promise<void>((r) => child.once('exit', () => r()));
  const end = async (sig: NodeJS.Signals) => {
    if (child.exitCode === null && child.signalCode === null) child.kill(sig);
    await exited;
  };
  const worker: WorkerProcess = { name: opts.name, child, pid: child.pid!, log: () => err, kill9: () => end('SIGKILL'), stop: () => end('SIGTERM') };
  const ready = (async () => {
    const deadline = Date.now() + 30_000;
    while (!out.includes(`ready ${opts.name}`)) {
      if (child.exitCode !== null) throw new Error(`worker ${opts.name} exited: ${err}`);
      if (Date.now() > deadline) throw new Error(`worker ${opts.name} not ready: ${err}`);
      await sleep(25);
    }
    return worker;
  })();
  return { worker, ready };
}

/** The environment of a controller or agent whose every record (tasker logs, parallelr's files, run states) lands under `home`. */
export function taskerHomeEnv(home: string): NodeJS.ProcessEnv {
  return { HOME: home, PARALLELR_HOME: join(home, 'parallelr'), TASKER_NATS_STATE_DIR: join(home, 'runs'), TASK_EXECUTOR_LOG: '' };
}

/** How many messages `stream` holds on the subjects `filter` matches (`state.messages` would count the whole stream). */
export async function messagesOn(jsm: JetStreamManager, stream: string, filter: string): Promise<number> {
  return Object.values((await jsm.streams.info(stream, { subjects_filter: filter })).state.subjects ?? {}).reduce((a, b) => a + b, 0);
}

/** A job message of `runId` that runs `body` with /bin/sh (`over` replaces fields, e.g. to make it malformed). */
export function shellJob(runId: string, seq: number, body: string, over: Partial<JobMessage> = {}): JobMessage {
  return {
    v: JOB_VERSION, run_id: runId, seq, task_file: `tasks/t${seq}.sh`, file_name: `t${seq}.sh`,
    content: Buffer.from(body).toString('base64'), command: '/bin/sh @TASK@', timeout_sec: 30, output_tail: 100, ...over,
  };
}

/** A temp dir with `n` task files made by `body(i)`; returns dir and the RunFile list. */
export function makeTaskFiles(n: number, body: (i: number, dir: string) => string): { dir: string; files: { taskFile: string; path: string }[] } {
  const dir = mkdtempSync(join(tmpdir(), 'tasker-nats-tasks-'));
  const files = [];
  for (let i = 1; i <= n; i++) {
    const path = join(dir, `task${String(i).padStart(4, '0')}.sh`);
    writeFileSync(path, body(i, dir));
    files.push({ taskFile: path, path });
  }
  return { dir, files };
}

/** A CliIo writing into strings. */
export function recordingIo(env: NodeJS.ProcessEnv = {}, signal?: AbortSignal): CliIo & { out(): string; err(): string } {
  let out = '';
  let err = '';
  return {
    stdout: { write: (t: string) => (out += t) },
    stderr: { write: (t: string) => (err += t) },
    env: { ...process.env, ...env },
    cwd: process.cwd(),
    isTTY: false,
    signal,
    out: () => out,
    err: () => err,
  };
}

/**
 * The records of a JSON-lines results file: its complete lines only. Read while the run writes, the
 * last line may be half written yet (a poller read one and threw in CI).
 */
export function readResults(path: string): TaskRecord[] {
  if (!existsSync(path)) return [];
  const text = readFileSync(path, 'utf8');
  return text.slice(0, text.lastIndexOf('\n') + 1).split('\n').filter(Boolean).map((l) => JSON.parse(l) as TaskRecord);
}

/** How many times each value occurs. */
export function tally(values: readonly (string | null)[]): Map<string | null, number> {
  const m = new Map<string | null, number>();
  for (const v of values) m.set(v, (m.get(v) ?? 0) + 1);
  return m;
}

export function sleep(ms: number): Promise<void> {
  return new Promise((r) => setTimeout(r, ms));
}

/**
 * Poll `cond` (it may ask the server) every 25 ms until true; throws after `ms`. ava's own timeout does not bound it: other
 * test files printing meanwhile kept a CI run waiting on one that never came true.
 */
export async function waitFor(cond: () => boolean | Promise<boolean>, what = 'a condition', ms = 120_000): Promise<void> {
  const deadline = Date.now() + ms;
  while (!(await cond())) {
    if (Date.now() > deadline) throw new Error(`waited ${ms / 1000} s for ${what}`);
    await sleep(25);
  }
}

/**
 * Whether a process is still running. A zombie counts as dead: it has exited and only waits to be
 * reaped (here PID 1 of the container does not always reap reparented orphans).
 */
export function alive(pid: number): boolean {
  try {
    process.kill(pid, 0);
    return !procState(pid).startsWith('Z');
  } catch (e) {
    return (e as NodeJS.ErrnoException).code === 'EPERM';
  }
}

/** `State:` line and command of a process, for failure messages. */
export function procState(pid: number): string {
  try {
    const status = readFileSync(`/proc/${pid}/status`, 'utf8');
    const state = /^State:\s*(.*)$/m.exec(status)?.[1] ?? '?';
    const ppid = /^PPid:\s*(.*)$/m.exec(status)?.[1] ?? '?';
    const cmd = readFileSync(`/proc/${pid}/cmdline`, 'utf8').replace(/\0/g, ' ');
    return `${state}, ppid ${ppid}, ${cmd}`;
  } catch {
    return 'gone';
  }
}

type Teardown = { teardown(fn: () => unknown): void };

/** A worker for one test: SIGKILLed in the test's teardown (and at the end of the file, as every fleet worker). */
export async function agentForTest(t: Teardown, fleet: { server: TestNatsServer; workers: WorkerProcess[] }, name: string, pool: string, max: number): Promise<WorkerProcess> {
  const w = await startWorker(fleet.server.url, { name, pool, max });
  fleet.workers.push(w);
  t.teardown(() => w.kill9());
  return w;
}

/**
 * The last token of every job subject a run publishes from now on (`3`, a batch's `1-4`, files
 * handed off or published again): a core subscription sees every JetStream publish.
 */
export async function watchJobSubjects(t: Teardown, url: string, pool: string, runId: string): Promise<() => string[]> {
  const nc = await connectNats({ servers: url });
  t.teardown(() => nc.close());
  const seen: string[] = [];
  nc.subscribe(subjects.runJobs(pool, runId), { callback: (_e, m) => seen.push(m.subject.slice(m.subject.lastIndexOf('.') + 1)) });
  await nc.flush();
  return () => [...seen];
}

/**
 * Start a distributed run in a controller process of its own (`CONTROLLER_MAIN` with its options
 * as JSON) and SIGKILL it once it has printed `successes` SUCCESS lines: a controller crash mid-run.
 */
export async function runAndKillController(t: Teardown, options: Record<string, unknown>, optionsFile: string, successes: number): Promise<void> {
  writeFileSync(optionsFile, JSON.stringify(options));
  const controller = spawn(process.execPath, ['--import', 'tsx', CONTROLLER_MAIN, optionsFile], { stdio: ['ignore', 'pipe', 'pipe'] });
  t.teardown(() => controller.kill('SIGKILL'));
  let out = '';
  controller.stdout!.on('data', (d) => (out += d));
  const exited = new Promise((r) => controller.once('exit', r));
  await waitFor(() => (out.match(/ SUCCESS:/g) ?? []).length >= successes);
  controller.kill('SIGKILL');
  await exited;
}

/** A connection to `url` (closed in teardown), its JetStream manager, and the streams of `pool` (ack_wait 2 s). */
export async function connectPool(t: Teardown, url: string, pool: string) {
  const nc = await connectNats({ servers: url });
  t.teardown(() => nc.close());
  const jsm = await jetStreamManagerOf(nc, url);
  await ensureStreams(jsm, { pool, ackWaitMs: 2000 });
  return { nc, jsm };
}

/** `parallelr ARGS` from the sources with `env` added; resolves with its exit code and output once it ends. */
export function runParallelr(args: string[], env: NodeJS.ProcessEnv): Promise<{ code: number | null; out: string; err: string }> {
  return new Promise((resolve) => {
    const child = spawn(process.execPath, ['--import', 'tsx', join(ROOT, 'controller/cli/parallelr.ts'), ...args], {
      cwd: ROOT, env: { ...process.env, ...env }, stdio: ['ignore', 'pipe', 'pipe'],
    });
    let out = '';
    let err = '';
    child.stdout!.on('data', (d) => (out += d));
    child.stderr!.on('data', (d) => (err += d));
    child.once('close', (code) => resolve({ code, out, err }));
  });
}
