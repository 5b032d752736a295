#!/usr/bin/env node
// parallelr benchmarks, side by side in one run (see docs/parallelr.md):
//  1. 1000 files, `-C "/bin/true @TASK@" -m 2` against GNU parallel -j2 and xargs -P2 on the same files
//     (plus the bare Node spawn floor: a loop of child_process.spawn with 2 in flight, for context);
//  2. 200 one-task tasker files: parallelr running tasker in-process vs parallelr spawning
//     `node dist/controller/cli/tasker.js` per file.
// Usage: npm run build && node bench/parallelr.mjs [runs] [--files-only|--tasker-only]   (median of `runs` interleaved rounds, default 3)
import { spawn, spawnSync } from 'node:child_process';
import { existsSync, mkdirSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir, cpus, loadavg } from 'node:os';
import { join, dirname } from 'node:path';
import { fileURLToPath } from 'node:url';

const repo = join(dirname(fileURLToPath(import.meta.url)), '..');
// The bins npm links as `parallelr` and `tasker`, run directly as an operator runs them (their
// shebang keeps Node from parsing NODE_EXTRA_CA_CERTS at start; see scripts/bundle-cli.mjs).
const parallelr = join(repo, 'dist/controller/cli/parallelr.cjs');
const tasker = join(repo, 'dist/controller/cli/tasker.cjs');
if (!existsSync(parallelr)) {
  console.error('bench: build first (npm run build): missing dist/controller/cli/parallelr.js');
  process.exit(2);
}
const runs = Number(process.argv.slice(2).find((a) => /^\d+$/.test(a)) ?? 3);
const only = process.argv.find((a) => a === '--files-only' || a === '--tasker-only');
const root = mkdtempSync(join(tmpdir(), 'parallelr-bench-'));
const home = join(root, 'home');
mkdirSync(home);
const env = { ...process.env, HOME: home, PARALLELR_SYSTEM_CONFIG: join(root, 'none.yaml') };

const results = join(root, 'results.jsonl');
function shell(cmd) {
  rmSync(results, { force: true });
  const t0 = performance.now();
  const r = spawnSync('/bin/sh', ['-c', cmd], { stdio: ['ignore', 'ignore', 'pipe'], env });
  const ms = performance.now() - t0;
  if (r.status !== 0) {
    // Show why (parallelr runs write --results), then go on: one bad run must not hide the others.
    let detail = String(r.stderr).trim();
    if (existsSync(results)) {
      const bad = readFileSync(results, 'utf8').trim().split('\n').map((l) => JSON.parse(l)).filter((x) => x.status !== 'SUCCESS');
      detail = `${bad.length} task(s) not SUCCESS, e.g. ${JSON.stringify(bad[0])}`;
    }
    console.log(`  ! exit ${r.status}: ${cmd}\n    ${detail}`);
    // A baseline that did not run has no time: comparing against it would print a false ratio.
    if (!cmd.includes(parallelr)) throw new Error(`baseline failed, no figures printed (install it: scripts/ensure-services.sh): ${cmd}`);
  }
  return ms;
}

async function nodeFloor(files) {
  const t0 = performance.now();
  let next = 0;
  const worker = async () => {
    while (next < files.length) {
      const f = files[next++];
      await new Promise((r) => spawn('/bin/true', [f], { stdio: ['ignore', 'pipe', 'pipe'], detached: true }).on('close', r));
    }
  };
  await Promise.all([worker(), worker()]);
  return performance.now() - t0;
}


function table(title, rows, base) {
  console.log(`\n${title}`);
  const baseMs = rows.find((r) => r.name === base).ms;
  for (const r of rows) {
    console.log(`  ${r.name.padEnd(34)} ${(r.ms / 1000).toFixed(3).padStart(8)} s   ${(r.ms / baseMs).toFixed(2).padStart(6)}× ${base}`);
  }
}

console.log(`parallelr bench: median of ${runs} interleaved round(s); ${cpus().length} CPU(s), load ${loadavg().map((l) => l.toFixed(2)).join(' ')}; node ${process.version}`);

// 1. /bin/true over 1000 files.
const dir = join(root, 'files');
mkdirSync(dir);
const files = [];
for (let i = 1; i <= 1000; i++) {
  const f = join(dir, `f${String(i).padStart(4, '0')}.task`);
  writeFileSync(f, '');
  files.push(f);
}
const cmds = {
  'parallelr -m 2': `${parallelr} -T ${dir} -C "/bin/true @TASK@" -m 2 -r -q --results ${results}`,
  'GNU parallel -j2': `find ${dir} -type f | sort | parallel -j2 /bin/true`,
  'xargs -P2': `find ${dir} -type f | sort | xargs -P2 -n1 /bin/true`,
};
if (only !== '--tasker-only') {
// Interleaved rounds (each contender once per round), so a load change on a shared machine hits all alike.
const contenders = [...Object.entries(cmds).map(([name, cmd]) => [name, () => shell(cmd)]), ['node spawn loop (floor, in-process)', () => nodeFloor(files)]];
const samples = new Map(contenders.map(([name]) => [name, []]));
for (let round = 0; round < runs; round++) {
  for (const [name, fn] of contenders) samples.get(name).push(await fn());
}
const mid = (xs) => [...xs].sort((a, b) => a - b)[Math.floor(xs.length / 2)];
const rows = contenders.map(([name]) => ({ name, ms: mid(samples.get(name)) }));
table('1000 files, /bin/true @TASK@, 2 at a time', rows, 'xargs -P2');
const p = rows[0].ms;
const gp = rows[1].ms;
const xa = rows[2].ms;
console.log(`  parallelr vs GNU parallel: ${(gp / p).toFixed(2)}× faster (goal: > 1)`);
console.log(`  parallelr vs xargs:        ${(p / xa).toFixed(2)}× the time (goal: ≤ 2)`);
}

// 2. 200 one-task tasker files, in-process vs one Node process per file.
if (only === '--files-only') {
  // skipped
} else if (existsSync(tasker)) {
  const tdir = join(root, 'tasker-files');
  mkdirSync(tdir);
  for (let i = 1; i <= 200; i++) {
    writeFileSync(join(tdir, `t${String(i).padStart(3, '0')}.txt`), 'task=0\nhostname=localhost\ncommand=/bin/true\nexec=local\n');
  }
  const tcmds = [
    `${parallelr} -T ${tdir} -C "tasker -r @TASK@" -m 2 -r -q --results ${results}`,
    `${parallelr} -T ${tdir} -C "${tasker} -r @TASK@" -m 2 -r -q --no-in-process --results ${results}`,
  ];
  const ts = [[], []];
  for (let round = 0; round < runs; round++) tcmds.forEach((c, k) => ts[k].push(shell(c)));
  const pick = (xs) => [...xs].sort((a, b) => a - b)[Math.floor(xs.length / 2)];
  const inproc = pick(ts[0]);
  const spawned = pick(ts[1]);
  table('200 one-task tasker files, 2 at a time', [
    { name: 'parallelr, tasker in-process', ms: inproc },
    { name: 'parallelr, tasker bin spawned per file', ms: spawned },
  ], 'parallelr, tasker in-process');
  console.log(`  in-process speed-up: ${(spawned / inproc).toFixed(1)}× (goal: ≥ 10)`);
} else {
  console.log('\n(tasker bin not built: skipped the in-process comparison)');
}
rmSync(root, { recursive: true, force: true });
