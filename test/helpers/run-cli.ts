/** Run the built tasker CLI as a real child process (for signals, concurrency and memory tests). */
import { spawn } from 'node:child_process';
import { mkdtempSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';

export const ROOT = join(dirname(fileURLToPath(import.meta.url)), '..', '..');
export const TASKER_BIN = join(ROOT, 'dist', 'controller', 'cli', 'tasker.js');
export const FIXTURE_BIN = join(ROOT, 'test', 'fixtures', 'bin');

export function tempDir(prefix = 'tasker-test-'): string {
  return mkdtempSync(join(tmpdir(), prefix));
}

export interface CliRun {
  code: number | null;
  signal: NodeJS.Signals | null;
  stdout: string;
  stderr: string;
  pid: number;
}

export function spawnTasker(args: string[], opts: { cwd?: string; env?: NodeJS.ProcessEnv; onStdout?: (text: string, pid: number) => void } = {}): Promise<CliRun> {
  return new Promise((resolve, reject) => {
    const child = spawn(process.execPath, [TASKER_BIN, ...args], {
      cwd: opts.cwd, env: { ...process.env, PATH: `${FIXTURE_BIN}:${process.env['PATH']}`, ...opts.env }, stdio: ['ignore', 'pipe', 'pipe'],
    });
    let stdout = '';
    let stderr = '';
    child.stdout.on('data', (c: Buffer) => {
      stdout += c.toString();
      opts.onStdout?.(stdout, child.pid!);
    });
    child.stderr.on('data', (c: Buffer) => (stderr += c.toString()));
    child.on('error', reject);
    child.on('close', (code, signal) => resolve({ code, signal, stdout, stderr, pid: child.pid! }));
  });
}

/**
 * PIDs whose command line contains `marker`. A process killed a moment ago can still be finishing
 * its exit on a loaded machine, so a non-empty answer is re-checked for up to `settleMs`: a real
 * survivor (the markers are long sleeps) is still there afterwards.
 */
export async function processesWith(marker: string, settleMs = 3000): Promise<number[]> {
  const { readdirSync, readFileSync } = await import('node:fs');
  const scan = (): number[] => {
    const pids: number[] = [];
    for (const entry of readdirSync('/proc')) {
      if (!/^\d+$/.test(entry)) continue;
      try {
        const cmd = readFileSync(`/proc/${entry}/cmdline`, 'utf8').replace(/\0/g, ' ');
        if (cmd.includes(marker) && Number(entry) !== process.pid) pids.push(Number(entry));
      } catch {
        /* gone */
      }
    }
    return pids;
  };
  let pids = scan();
  for (const end = Date.now() + settleMs; pids.length > 0 && Date.now() < end; pids = scan()) {
    await new Promise((resolve) => setTimeout(resolve, 100));
  }
  return pids;
}
