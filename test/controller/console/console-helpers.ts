/** A real tasker-ui (the built bin) and a real headless Chromium (Debian's package) for the console tests. */
import { spawn, spawnSync, type ChildProcess } from 'node:child_process';
import { existsSync, mkdirSync, mkdtempSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';
import puppeteer, { type Browser } from 'puppeteer-core';
import { killWithTestProcess } from '../../helpers/child-cleanup.js';

const root = join(dirname(fileURLToPath(import.meta.url)), '..', '..', '..');
export const BIN = {
  tasker: join(root, 'dist', 'controller', 'cli', 'tasker.cjs'),
  parallelr: join(root, 'dist', 'controller', 'cli', 'parallelr.cjs'),
  ui: join(root, 'dist', 'controller', 'cli', 'tasker-ui.cjs'),
};

/** Debian's chromium (scripts/ensure-services.sh installs it). */
export const CHROMIUM = ['/usr/bin/chromium', '/usr/bin/chromium-browser'].find((p) => existsSync(p)) ?? '/usr/bin/chromium';

export function makeBase(): string {
  return mkdtempSync(join(tmpdir(), 'tasker-ui-'));
}

/** Runs the real tasker on a task file written into BASE/src; returns its exit code. */
export function runTasker(base: string, name: string, text: string, extra: string[] = []): number {
  mkdirSync(join(base, 'src'), { recursive: true });
  const file = join(base, 'src', name);
  writeFileSync(file, text);
  const r = spawnSync(process.execPath, [BIN.tasker, '-r', '-l', base, ...extra, file], { encoding: 'utf8', env: { ...process.env, TASKER_NO_COLOR: '1' } });
  return r.status ?? -1;
}

export interface RunningConsole {
  url: string;
  child: ChildProcess;
  stop(): Promise<void>;
}

/** Starts `tasker-ui serve` on a free loopback port and waits for its "serving" line. */
export async function startConsole(base: string, extra: string[] = []): Promise<RunningConsole> {
  const child = spawn(process.execPath, [BIN.ui, 'serve', '--listen', '127.0.0.1:0', '-l', base, ...extra], { stdio: ['ignore', 'pipe', 'pipe'] });
  killWithTestProcess(child);
  const url = await new Promise<string>((resolve, reject) => {
    let out = '';
    let err = '';
    child.stdout!.on('data', (d: Buffer) => {
      out += d.toString();
      const m = /serving .* on (https?:\/\/[^ ]+\/)/.exec(out);
      if (m) resolve(m[1]!);
    });
    child.stderr!.on('data', (d: Buffer) => (err += d.toString()));
    child.once('exit', (code) => reject(new Error(`tasker-ui exited with ${code}: ${err}`)));
  });
  return {
    url, child,
    stop: () => new Promise((resolve) => {
      if (child.exitCode !== null) return resolve();
      child.once('exit', () => resolve());
      child.kill('SIGTERM');
    }),
  };
}

export async function launchBrowser(): Promise<Browser> {
  return puppeteer.launch({
    executablePath: CHROMIUM,
    headless: true,
    args: ['--no-sandbox', '--disable-gpu', '--disable-dev-shm-usage', '--no-first-run'],
  });
}
