#!/usr/bin/env node
// Benchmarks for the tasker engine (issues 2 and 3), each side by side with its baseline in one run.
// Usage: npm run build && node bench/run.mjs [--quick]
import { spawn, spawnSync } from 'node:child_process';
import { mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';

const root = join(dirname(fileURLToPath(import.meta.url)), '..');
// The bin npm links as `tasker` (run directly, so its shebang applies: see bundle-cli.mjs).
const tasker = join(root, 'dist', 'controller', 'cli', 'tasker.cjs');
const quick = process.argv.includes('--quick');
const dir = mkdtempSync(join(tmpdir(), 'tasker-bench-'));
const rows = [];
const loadAtStart = (await import('node:os')).loadavg().map((l) => l.toFixed(2)).join(' ');

function time(argv, opts = {}) {
  const t = process.hrtime.bigint();
  const r = spawnSync(argv[0], argv.slice(1), { stdio: ['ignore', 'ignore', 'pipe'], cwd: dir, ...opts });
  const ms = Number(process.hrtime.bigint() - t) / 1e6;
  if (r.status !== 0) throw new Error(`${argv.join(' ')} exited ${r.status}: ${r.stderr}`);
  return ms;
}
function middle(xs) {
  return [...xs].sort((a, b) => a - b)[Math.floor(xs.length / 2)];
}
function median(argv, runs, opts) {
  return middle(Array.from({ length: runs }, () => time(argv, opts)));
}
/** Medians of commands run in alternation (a b c a b c …), so a load change hits them alike. */
function interleaved(commands, runs) {
  const times = commands.map(() => []);
  for (let r = 0; r < runs; r++) commands.forEach(([argv, opts], i) => times[i].push(time(argv, opts)));
  return times.map(middle);
}
function row(name, ours, baselineName, baseline, goal) {
  rows.push({ name, ours, baselineName, baseline, ratio: ours / baseline, goal });
}

// 1. Validating a 10,000-task file vs `node -e 0`.
const big = ['GREETING=hello'];
for (let i = 0; i < 10000; i++) {
  big.push(`task=${i}`, 'hostname=localhost', 'exec=local', 'command=echo', `arguments=@GREETING@ ${i} @${i > 0 ? i - 1 : 0}_stdout@`, 'next=exit_0&stdout!~FAIL', '');
}
writeFileSync(join(dir, 'big.txt'), big.join('\n'));
const runs = quick ? 3 : 7;
const nodeStart = median([process.execPath, '-e', '0'], runs);
row('validate 10,000 tasks (--validate-only)', median([process.execPath, tasker, '--validate-only', 'big.txt'], runs), 'node -e 0', nodeStart, '≤ 4×');

// 2. 500 sequential /bin/true tasks vs a bash script running the same 500.
const seq = [];
for (let i = 0; i < 500; i++) seq.push(`task=${i}`, 'hostname=localhost', 'exec=local', 'command=/bin/true', '');
writeFileSync(join(dir, 'seq.txt'), seq.join('\n'));
writeFileSync(join(dir, 'seq.sh'), `#!/bin/bash\nfor i in $(seq 500); do /bin/true; done\n`);
// 15 rounds: on a shared machine the ratio of one round moves by ±30 %; the median of many settles.
const seqRuns = quick ? 3 : 15;
// The bin is run the way an operator runs it, through its shebang, which keeps Node from parsing
// NODE_EXTRA_CA_CERTS at start (controller/cli/deferred-ca-env.ts). Where that variable is set,
// `node dist/controller/cli/tasker.js` (the ESM wrapper, shebang bypassed: how the conformance
// kit runs it) is measured too, as context.
const extraCa = Boolean(process.env.NODE_EXTRA_CA_CERTS);
const seqArgv = [tasker, '-r', 'seq.txt', '-l', join(dir, 'logs')];
const viaNode = [process.execPath, join(root, 'dist', 'controller', 'cli', 'tasker.js')];
const seqViaNode = [...viaNode, ...seqArgv.slice(1)];
const seqCases = [[seqArgv], [['bash', 'seq.sh']], [seqArgv, { env: { ...process.env, TASKER_LAUNCHER: 'off' } }]];
if (extraCa) seqCases.push([seqViaNode]);
const [seqOurs, seqBash, seqNodeSpawn, seqNode] = interleaved(seqCases, seqRuns);
row('500 sequential /bin/true tasks (-r)', seqOurs, 'bash loop of 500 /bin/true', seqBash, '≤ 1.5×');
row('  the same with TASKER_LAUNCHER=off (Node spawn)', seqNodeSpawn, 'bash loop of 500 /bin/true', seqBash, 'context');
if (extraCa) row('  the same as `node …/tasker.js` (parses NODE_EXTRA_CA_CERTS)', seqNode, 'bash loop of 500 /bin/true', seqBash, 'context');

// 3. One-task cold start.
writeFileSync(join(dir, 'one.txt'), 'task=0\nhostname=localhost\nexec=local\ncommand=/bin/true\n');
const oneArgv = [tasker, '-r', 'one.txt', '-l', join(dir, 'logs')];
const [cold, coldNode] = interleaved(extraCa ? [[oneArgv], [[...viaNode, ...oneArgv.slice(1)]]] : [[oneArgv]], quick ? 5 : 11);
row('one-task cold start (-r)', cold, 'node -e 0', nodeStart, '≤ 200 ms absolute');
if (extraCa) row('  the same as `node …/tasker.js` (parses NODE_EXTRA_CA_CERTS)', coldNode, 'node -e 0', nodeStart, 'context');

// 4. A parallel block of 200 /bin/true sub-tasks, max_parallel=20, vs xargs -P20 on the same commands.
const block = ['task=0', 'type=parallel', 'max_parallel=20', `tasks=${Array.from({ length: 200 }, (_, i) => 100 + i).join(',')}`, ''];
for (let i = 0; i < 200; i++) block.push(`task=${100 + i}`, 'hostname=localhost', 'exec=local', 'command=/bin/true', '');
writeFileSync(join(dir, 'block.txt'), block.join('\n'));
writeFileSync(join(dir, 'block-xargs.sh'), '#!/bin/bash\nseq 200 | xargs -P20 -n1 /bin/true\n');
const [blockOurs, blockXargs] = interleaved([[[process.execPath, tasker, '-r', 'block.txt', '-l', join(dir, 'logs')]], [['bash', 'block-xargs.sh']]], seqRuns);
row('parallel block: 200 /bin/true, max_parallel=20', blockOurs, 'xargs -P20 on the same 200', blockXargs, 'report');

// 5. Peak memory of a task printing 1 GB.
writeFileSync(join(dir, 'gb.txt'), 'task=0\nhostname=localhost\nexec=local\ncommand=head\narguments=-c 1000000000 /dev/zero\ntimeout=600\n');
const peak = await new Promise((resolve, reject) => {
  const t = process.hrtime.bigint();
  const child = spawn(process.execPath, [tasker, '-r', 'gb.txt', '-l', join(dir, 'gblogs')], { cwd: dir, stdio: 'ignore' });
  let kb = 0;
  const poll = setInterval(() => {
    try {
      const m = /VmHWM:\s+(\d+)/.exec(readFileSync(`/proc/${child.pid}/status`, 'utf8'));
      if (m) kb = Math.max(kb, Number(m[1]));
    } catch { /* exited */ }
  }, 20);
  child.on('close', (code) => {
    clearInterval(poll);
    rmSync(join(dir, 'gblogs'), { recursive: true, force: true });
    if (code !== 0) reject(new Error(`1 GB task exited ${code}`));
    else resolve({ kb, ms: Number(process.hrtime.bigint() - t) / 1e6 });
  });
});

const fmt = (ms) => (ms >= 1000 ? `${(ms / 1000).toFixed(2)} s` : `${ms.toFixed(1)} ms`);
const os = await import('node:os');
console.log('\ntasker engine benchmarks (median wall time; machine: %d cores, node %s, NODE_EXTRA_CA_CERTS %s; load at start %s, at end %s)\n', os.cpus().length, process.version, extraCa ? 'set' : 'unset', loadAtStart, os.loadavg().map((l) => l.toFixed(2)).join(' '));
console.log('| benchmark | tasker | baseline | baseline time | ratio | goal |');
console.log('|---|---|---|---|---|---|');
for (const r of rows) console.log(`| ${r.name} | ${fmt(r.ours)} | ${r.baselineName} | ${fmt(r.baseline)} | ${r.ratio.toFixed(2)}× | ${r.goal} |`);
console.log(`| 1 GB of stdout from one task | peak RSS ${(peak.kb / 1024).toFixed(0)} MB | — | — | ${fmt(peak.ms)} wall | bounded |`);
rmSync(dir, { recursive: true, force: true });
