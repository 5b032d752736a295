import { spawn, type ChildProcess } from 'node:child_process';
import { mkdirSync, mkdtempSync, readdirSync, readFileSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import type { CliIo } from '../../../shared/cli-io.js';

export const REPO = fileURLToPath(new URL('../../../', import.meta.url));
export const CLI = join(REPO, 'controller/cli/parallelr.ts');
/** Absolute --import target, so children started from any directory load tsx. */
export const TSX = import.meta.resolve('tsx');

export interface Sandbox {
  dir: string;
  home: string;
  tasks: string;
  env: NodeJS.ProcessEnv;
  /** ~/parallelr */
  state: string;
}

/** A temp HOME with a tasks directory; no installation config is read. */
export function makeSandbox(): Sandbox {
  const dir = mkdtempSync(join(tmpdir(), 'parallelr-test-'));
  const home = join(dir, 'home');
  const tasks = join(dir, 'tasks');
  mkdirSync(home, { recursive: true });
  mkdirSync(tasks, { recursive: true });
  const env: NodeJS.ProcessEnv = { ...process.env, HOME: home, PARALLELR_SYSTEM_CONFIG: join(dir, 'no-installation-config.yaml') };
  delete env.PARALLELR_HOME;
  delete env.PARALLELR_USER_CONFIG;
  delete env.PARALLELR_DAEMON_CHILD;
  return { dir, home, tasks, env, state: join(home, 'parallelr') };
}

/** Writes files `name → content` into dir. */
export function writeFiles(dir: string, files: Record<string, string>): void {
  for (const [name, content] of Object.entries(files)) writeFileSync(join(dir, name), content);
}

/** Writes a user config for the sandbox. */
export function writeUserConfig(sb: Sandbox, yaml: string): string {
  const cfg = join(sb.state, 'cfg');
  mkdirSync(cfg, { recursive: true });
  writeFileSync(join(cfg, 'parallelr.yaml'), yaml);
  return join(cfg, 'parallelr.yaml');
}

export interface FakeIo extends CliIo {
  out(): string;
  err(): string;
}

/** A CliIo collecting output, for calling run() directly. */
export function fakeIo(sb: Sandbox, extra: Partial<CliIo> = {}): FakeIo {
  let o = '';
  let e = '';
  return {
    stdout: { write: (t: string) => (o += t) },
    stderr: { write: (t: string) => (e += t) },
    env: sb.env,
    cwd: sb.dir,
    isTTY: false,
    ...extra,
    out: () => o,
    err: () => e,
  };
}

/** Starts the real CLI (node --import tsx controller/cli/parallelr.ts) so the PID is the process itself. */
export function startCli(sb: Sandbox, args: string[], env: NodeJS.ProcessEnv = sb.env): ChildProcess & { output: () => string } {
  const child = spawn(process.execPath, ['--import', TSX, CLI, ...args], { cwd: sb.dir, env, stdio: ['ignore', 'pipe', 'pipe'] });
  let text = '';
  child.stdout!.on('data', (c: Buffer) => (text += c.toString()));
  child.stderr!.on('data', (c: Buffer) => (text += c.toString()));
  return Object.assign(child, { output: () => text });
}

/** Runs the real CLI to completion. */
export async function runCli(sb: Sandbox, args: string[], env?: NodeJS.ProcessEnv): Promise<{ code: number | null; signal: NodeJS.Signals | null; output: string }> {
  const child = startCli(sb, args, env);
  const [code, signal] = await new Promise<[number | null, NodeJS.Signals | null]>((r) => child.on('close', (c, s) => r([c, s])));
  return { code, signal, output: child.output() };
}

/** Polls until fn returns a truthy value (or throws after timeoutMs). */
export async function waitFor<T>(fn: () => T | undefined | false | null, timeoutMs = 20_000, what = 'condition'): Promise<T> {
  const deadline = Date.now() + timeoutMs;
  for (;;) {
    const v = fn();
    if (v) return v;
    if (Date.now() > deadline) throw new Error(`timed out waiting for ${what}`);
    await new Promise((r) => setTimeout(r, 50));
  }
}

/** True when the pid exists and is not a zombie. */
export function alive(pid: number): boolean {
  try {
    process.kill(pid, 0);
  } catch {
    return false;
  }
  try {
    const stat = readFileSync(`/proc/${pid}/stat`, 'utf8');
    return stat[stat.lastIndexOf(')') + 2] !== 'Z';
  } catch {
    return false;
  }
}

/** All pids written into `*.pid` files under dir (one per line). */
export function recordedPids(dir: string): number[] {
  const pids: number[] = [];
  for (const f of readdirSync(dir)) {
    if (!f.endsWith('.pid')) continue;
    for (const l of readFileSync(join(dir, f), 'utf8').split('\n')) if (/^\d+$/.test(l.trim())) pids.push(Number(l.trim()));
  }
  return pids;
}

/** Parsed lines of a JSON-lines file. */
export function readJsonl(path: string): Array<Record<string, unknown>> {
  return readFileSync(path, 'utf8').trimEnd().split('\n').filter(Boolean).map((l) => JSON.parse(l) as Record<string, unknown>);
}

/** The results file path printed by a run (`Results: …`). */
export function resultsPathFrom(output: string): string {
  const m = [...output.matchAll(/^Results: (.+)$/gm)];
  if (m.length === 0) throw new Error(`no Results: line in output:\n${output}`);
  return m[m.length - 1]![1]!;
}

/**
 * A task script that records its pid and a background child's pid in `<task>.pid`, then waits:
 * `sh -c 'sleep 100 & …; sleep 100'` in file form.
 */
export const LONG_TASK = 'echo $$ > "$0.pid"; sleep 100 & echo $! >> "$0.pid"; sleep 100\n';
