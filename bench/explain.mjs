#!/usr/bin/env node
// What explained decisions cost (docs/task-files.md "Explained decisions"): 500 sequential
// /bin/true tasks each routed by `next=exit_0&stdout!~FAIL&@LIMIT@<5`, run plain, with
// --output-json, with --explain and with -d, beside the same 500 tasks without conditions.
// Controller CPU time (user+sys of the tasker process, /usr/bin/time) is the figure that matters on a
// loaded machine; wall time is shown as context. Commands run interleaved (a b c … a b c …).
// Usage: npm run build && node bench/explain.mjs [ROUNDS] [TASKER_CJS_TO_COMPARE]
// The optional second argument is another build's tasker.cjs, run beside this one ("before").
import { spawnSync } from 'node:child_process';
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';

const root = join(dirname(fileURLToPath(import.meta.url)), '..');
const tasker = join(root, 'dist', 'controller', 'cli', 'tasker.cjs');
const rounds = Number(process.argv[2] ?? 11);
const before = process.argv[3];
const dir = mkdtempSync(join(tmpdir(), 'tasker-bench-explain-'));

const cond = ['LIMIT=4'];
const plain = [];
for (let i = 0; i < 500; i++) {
  cond.push(`task=${i}`, 'hostname=localhost', 'exec=local', 'command=/bin/true', 'next=exit_0&stdout!~FAIL&@LIMIT@<5', '');
  plain.push(`task=${i}`, 'hostname=localhost', 'exec=local', 'command=/bin/true', '');
}
writeFileSync(join(dir, 'cond.txt'), cond.join('\n'));
writeFileSync(join(dir, 'plain.txt'), plain.join('\n'));

const run = (bin, ...args) => [bin, '-r', ...args, '-l', join(dir, 'logs')];
const cases = [
  ['500 plain tasks', run(tasker, 'plain.txt')],
  ['500 condition tasks', run(tasker, 'cond.txt')],
  ['500 condition tasks --output-json', run(tasker, 'cond.txt', '--output-json', 'o.json')],
  ['500 condition tasks --explain', run(tasker, '--explain', 'cond.txt')],
  ['500 condition tasks -d', run(tasker, '-d', 'cond.txt')],
];
if (before) {
  cases.push(['before: 500 plain tasks', run(before, 'plain.txt')]);
  cases.push(['before: 500 condition tasks', run(before, 'cond.txt')]);
  cases.push(['before: 500 condition tasks --output-json', run(before, 'cond.txt', '--output-json', 'o.json')]);
}

const cpu = cases.map(() => []);
const wall = cases.map(() => []);
for (let r = 0; r < rounds; r++) {
  cases.forEach(([, argv], i) => {
    const t = process.hrtime.bigint();
    const p = spawnSync('/usr/bin/time', ['-f', '%U %S', process.execPath, ...argv], { cwd: dir, stdio: ['ignore', 'ignore', 'pipe'] });
    wall[i].push(Number(process.hrtime.bigint() - t) / 1e6);
    if (p.status !== 0) throw new Error(`${argv.join(' ')} exited ${p.status}: ${p.stderr}`);
    const [user, sys] = String(p.stderr).trim().split('\n').pop().split(' ').map(Number);
    cpu[i].push((user + sys) * 1000);
  });
}
const median = (xs) => [...xs].sort((a, b) => a - b)[Math.floor(xs.length / 2)];
const os = await import('node:os');
console.log(`\nexplained decisions (medians of ${rounds} interleaved rounds; node ${process.version}; load ${os.loadavg().map((l) => l.toFixed(2)).join(' ')})\n`);
console.log('| run | controller CPU | wall |');
console.log('|---|---|---|');
cases.forEach(([name], i) => console.log(`| ${name} | ${median(cpu[i]).toFixed(0)} ms | ${median(wall[i]).toFixed(0)} ms |`));
rmSync(dir, { recursive: true, force: true });
