#!/usr/bin/env node
// Conditions over large outputs (issue 13 item 4): the time of each pass over a spill file, and
// tasker's peak RSS on a task printing ~214 MB with and without conditions over all of it.
// Usage: npm run build && node bench/whole-output.mjs [--quick]
import { spawn } from 'node:child_process';
import { createWriteStream, mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';

const root = join(dirname(fileURLToPath(import.meta.url)), '..');
const { spilledOutput } = await import(join(root, 'dist', 'shared', 'exec', 'spilled-output.js'));
const emit = join(root, 'test', 'fixtures', 'bin', 'emit-output');
const preload = join(root, 'test', 'fixtures', 'report-max-rss.cjs');
const tasker = join(root, 'dist', 'controller', 'cli', 'tasker.js');
const lines = process.argv.includes('--quick') ? 2_000_000 : 16_000_000;
const dir = mkdtempSync(join(tmpdir(), 'tasker-bench-output-'));

function run(argv, env = {}) {
  return new Promise((resolve, reject) => {
    const child = spawn(argv[0], argv.slice(1), { cwd: dir, env: { ...process.env, ...env }, stdio: ['ignore', 'ignore', 'inherit'] });
    child.on('error', reject);
    child.on('close', (code) => (code === 0 ? resolve() : reject(new Error(`${argv.join(' ')} exited ${code}`))));
  });
}

try {
  const file = join(dir, 'spill');
  await new Promise((resolve, reject) => {
    const out = createWriteStream(file);
    const child = spawn(emit, [`lines:${lines}`, 'text:NEEDLE']);
    child.stdout.pipe(out);
    out.on('finish', resolve);
    child.on('error', reject);
  });
  const size = (readFileSync(file).length / 1e6).toFixed(0);
  console.log(`spill file: ${size} MB`);
  for (const [name, ask] of [
    ['stdout~NEEDLE (ASCII, at the end)', (v) => v.contains('NEEDLE')],
    ['stdout~NEEDLÉ (non-ASCII, absent)', (v) => v.contains('NEEDLÉ')],
    ['stdout_count', (v) => v.lineCount()],
  ]) {
    const t = performance.now();
    const answer = ask(spilledOutput(file, ''));
    console.log(`  ${name.padEnd(36)} ${String(answer).padEnd(9)} ${((performance.now() - t) / 1000).toFixed(2)} s`);
  }
  rmSync(file);

  for (const [label, condition] of [['without conditions', 'exit_0'], ['judged on all of it', `stdout~NEEDLE&stdout!~NEEDLÉ&stdout_count=${lines + 1}`]]) {
    writeFileSync(join(dir, 'f.txt'), `task=0\nhostname=localhost\nexec=local\ncommand=${emit}\narguments=lines:${lines} text:NEEDLE\nsuccess=${condition}\n`);
    const rss = join(dir, 'rss');
    await run([process.execPath, '--require', preload, tasker, '-r', 'f.txt', '-l', join(dir, 'logs')], { REPORT_MAX_RSS: rss });
    console.log(`tasker -r, ${size} MB output, ${label.padEnd(20)} peak RSS ${(Number(readFileSync(rss, 'utf8')) / 1024).toFixed(0)} MiB`);
    rmSync(join(dir, 'logs'), { recursive: true, force: true });
  }
} finally {
  rmSync(dir, { recursive: true, force: true });
}
