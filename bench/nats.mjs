#!/usr/bin/env node
/**
 * NATS bench, side by side with the local pool in one run (docs/benchmarks.md, "NATS"):
 *
 * 1. N trivial jobs (`/bin/true @TASK@`, default 600) through JetStream and `--agents` agent
 *    processes × `--max` slots on loopback, against a bare pool of runProcess calls in this process
 *    (the same number of slots, no results file, no logs: the floor of any pool), run just before
 *    and just after; prints both times, the ratio and where the CPU went.
 * 2. The same N files through the parallelr bin, as an operator runs them: its local pool (`-m`)
 *    against `parallelr --nats` over the agents (SPEC §4: within 1.4× the local pool's time).
 * 3. 200 one-task tasker files: local parallelr (tasker in-process) against the same files
 *    distributed (`parallelr --nats`), both through the built bins (goal ≤ 1.5).
 * 4. With `--faults`: the 2-agent run again with one agent killed (SIGKILL) mid-run and with
 *    nats-server restarted mid-run, checking every result arrives exactly once.
 *
 *   node --import tsx bench/nats.mjs [--jobs 600] [--max 2] [--agents 2|1,2,4] [--rounds 1] [--faults]
 *       [--no-tasker-files] [--agent-js DIR] [--profile DIR] [--batch N] [--warm-up 4]
 *
 * `--rounds N` repeats local / NATS / local N times and reports the median ratio (the machine is shared);
 * the bin pairs run N times with the same agents (the first with agents just started, the others
 * after `--warm-up` unmeasured runs).
 *
 * `--agent-js DIR` runs agents from compiled JavaScript (`npx tsc -p tsconfig.json --outDir DIR`);
 * `--profile DIR` writes each agent's CPU profile there (node --cpu-prof).
 */
import { spawn } from 'node:child_process';
import { existsSync, mkdirSync, mkdtempSync, readdirSync, readFileSync, rmSync, symlinkSync, writeFileSync } from 'node:fs';
import { availableParallelism, loadavg, tmpdir } from 'node:os';
import { join, resolve, dirname } from 'node:path';
import { fileURLToPath } from 'node:url';

const ROOT = resolve(dirname(fileURLToPath(import.meta.url)), '..');
const { startNatsServer } = await import(join(ROOT, 'test/helpers/nats-server.ts'));
const { runDistributed } = await import(join(ROOT, 'controller/nats/run-distributed.ts'));
const { runProcess } = await import(join(ROOT, 'shared/exec/run-process.ts'));

const argv = process.argv.slice(2);
const opt = (name, def) => {
  const i = argv.indexOf(`--${name}`);
  return i >= 0 ? argv[i + 1] : def;
};
const JOBS = Number(opt('jobs', '600'));
const MAX = Number(opt('max', '2'));
const AGENTS = opt('agents', '2').split(',').map(Number);
const FAULTS = argv.includes('--faults');
const ROUNDS = Number(opt('rounds', '1'));
const TASKER_FILES = !argv.includes('--no-tasker-files');
const AGENT_JS = opt('agent-js', '');
const PROFILE_DIR = opt('profile', '');
/** `--batch N`: task files per job message in every distributed run (default: chosen from the pool, docs/nats.md "Batches"). */
const BATCH = opt('batch', '');
/** `--warm-up N`: unmeasured distributed runs between a bin pair's first round and the later ones. */
const WARM_UP = Number(opt('warm-up', '4'));
const PARALLELR_BIN = join(ROOT, 'dist/controller/cli/parallelr.cjs');
const TASKER_BIN = join(ROOT, 'dist/controller/cli/tasker.cjs');

const load = () => loadavg().map((l) => l.toFixed(2)).join(' ');
const LOAD_BEFORE = load();
const dir = mkdtempSync(join(tmpdir(), 'tasker-nats-bench-'));
/** HOME of every process the bench starts: tasker's logs (~/TASKER) stay in the bench's directory and go with it. */
const home = join(dir, 'home');
mkdirSync(home);
const files = [];
for (let i = 1; i <= JOBS; i++) {
  const path = join(dir, `t${String(i).padStart(5, '0')}.txt`);
  writeFileSync(path, '');
  files.push({ taskFile: path, path });
}

const quietIo = (signal) => ({
  stdout: { write: () => true },
  stderr: { write: (t) => process.stderr.write(t) },
  env: { ...process.env, HOME: home, PARALLELR_HOME: dir },
  cwd: dir,
  isTTY: false,
  signal,
});

/** A bin directory holding `tasker` (the built bin), for agents running `tasker -r @TASK@`. */
const binDir = join(dir, 'bin');
mkdirSync(binDir);
if (existsSync(TASKER_BIN)) symlinkSync(TASKER_BIN, join(binDir, 'tasker'));

async function startAgent(url, name, pool) {
  const entry = AGENT_JS ? ['--', join(resolve(AGENT_JS), 'agent/nats/worker-main.js')] : ['--import', 'tsx', join(ROOT, 'agent/nats/worker-main.ts')];
  const prof = PROFILE_DIR ? ['--cpu-prof', `--cpu-prof-dir=${resolve(PROFILE_DIR)}`] : [];
  const child = spawn(process.execPath, [...prof, ...entry,
    '--nats', url, '--pool', pool, '--max', String(MAX), '--name', name, '--log-level', 'warn', '--drain-timeout', '5'], {
    cwd: ROOT, stdio: ['ignore', 'pipe', 'inherit'],
    env: { ...process.env, HOME: home, TASKER_NATS_ACK_WAIT: '3', PATH: `${binDir}:${process.env.PATH}` },
  });
  let out = '';
  child.stdout.on('data', (d) => (out += d));
  const exited = new Promise((r) => child.once('exit', r));
  while (!out.includes('ready')) {
    if (child.exitCode !== null) throw new Error(`agent ${name} did not start`);
    await new Promise((r) => setTimeout(r, 20));
  }
  // CPU from here on: the agent's start-up (loading modules) is not part of the jobs' cost.
  const cpu0 = cpuOf(child.pid);
  const kids0 = childrenCpu(child.pid);
  let last = [0, 0];
  const cpu = () => {
    if (child.exitCode === null && child.signalCode === null) last = [cpuOf(child.pid)[0] - cpu0[0], childrenCpu(child.pid) - kids0];
    return last;
  };
  const stop = async (sig = 'SIGTERM') => {
    cpu(); // what it used until now: a killed agent's /proc entry is gone
    if (child.exitCode === null) child.kill(sig);
    await exited;
  };
  return { child, cpu, stop };
}

const TICK_MS = 1000 / 100; // USER_HZ

/** CPU ms of a process so far: [self, reaped children] from /proc/<pid>/stat. */
function cpuOf(pid) {
  try {
    const stat = readFileSync(`/proc/${pid}/stat`, 'utf8');
    const f = stat.slice(stat.lastIndexOf(')') + 2).split(' ');
    // fields after the command: state=0 … utime=11 stime=12 cutime=13 cstime=14
    return [(Number(f[11]) + Number(f[12])) * TICK_MS, (Number(f[13]) + Number(f[14])) * TICK_MS];
  } catch {
    return [0, 0];
  }
}

/** CPU ms of a process's children (the launcher) and what they reaped (the job processes). */
function childrenCpu(pid) {
  let ms = 0;
  try {
    for (const task of readdirSync(`/proc/${pid}/task`)) {
      for (const kid of readFileSync(`/proc/${pid}/task/${task}/children`, 'utf8').split(' ').filter(Boolean)) {
        const [self, reaped] = cpuOf(Number(kid));
        ms += self + reaped;
      }
    }
  } catch {
    // gone
  }
  return ms;
}

function exactlyOnce(result) {
  const seen = new Set(result.records.map((r) => r.task_file));
  return result.records.length === JOBS && seen.size === JOBS && result.counts.succeeded === JOBS;
}

async function distributed(server, agents, label, fault, round = 1) {
  const pool = `bench${agents}${fault ? fault : ''}r${round}`;
  const procs = [];
  for (let i = 1; i <= agents; i++) procs.push(await startAgent(server.url, `${pool}-a${i}`, pool));
  const t0 = performance.now();
  const ctl0 = process.cpuUsage();
  const srv0 = cpuOf(server.pid);
  let done = 0;
  let faulted = false;
  const io = quietIo();
  io.stdout = { write: () => true };
  const run = runDistributed({
    files, command: '/bin/true @TASK@', timeoutSeconds: 60, quiet: true,
    nats: { servers: [server.url], pool, ackWaitSec: 3 }, stateDir: join(dir, 'runs'),
    resultsFile: join(dir, `${pool}.jsonl`), ...(BATCH ? { batch: Number(BATCH) } : {}),
  }, io);
  if (fault) {
    // watch the results file grow; fault at 30 %
    const { statSync } = await import('node:fs');
    while (!faulted) {
      await new Promise((r) => setTimeout(r, 50));
      let size = 0;
      try { size = statSync(join(dir, `${pool}.jsonl`)).size; } catch {}
      done = size / 330; // ~330 bytes per record
      if (done >= JOBS * 0.3) {
        faulted = true;
        if (fault === 'kill9') await procs[0].stop('SIGKILL');
        else await server.restart();
      }
    }
  }
  const r = await run;
  const secs = (performance.now() - t0) / 1000;
  const ctl = process.cpuUsage(ctl0);
  const srv = fault === 'restart' ? [NaN] : cpuOf(server.pid).map((v, i) => v - srv0[i]);
  const cpu = { agents: 0, jobs: 0 };
  for (const p of procs) {
    const [self, children] = p.cpu();
    cpu.agents += self;
    cpu.jobs += children;
  }
  for (const p of procs) await p.stop();
  const per = (ms) => (ms / JOBS).toFixed(2);
  return {
    label, agents, secs, rate: JOBS / secs, ok: exactlyOnce(r), duplicates: r.duplicates,
    cpu: `${per(cpu.agents)} / ${per(cpu.jobs)} / ${Number.isNaN(srv[0]) ? 'n/a' : per(srv[0])} / ${per((ctl.user + ctl.system) / 1000)}`,
  };
}

async function localPool(concurrency) {
  const t0 = performance.now();
  const self0 = process.cpuUsage();
  const kids0 = childrenCpu(process.pid);
  let next = 0;
  let ok = 0;
  await Promise.all(Array.from({ length: concurrency }, async () => {
    while (next < JOBS) {
      const f = files[next++];
      const r = await runProcess({ argv: ['/bin/true', f.path], cwd: dir, timeoutMs: 60_000 });
      if (r.exitCode === 0) ok++;
    }
  }));
  const secs = (performance.now() - t0) / 1000;
  const self = process.cpuUsage(self0);
  const kids = childrenCpu(process.pid) - kids0;
  const per = (ms) => (ms / JOBS).toFixed(2);
  return {
    label: `local pool (runProcess), ${concurrency} at once`, agents: 0, secs, rate: JOBS / secs, ok: ok === JOBS, duplicates: 0,
    cpu: `${per((self.user + self.system) / 1000)} (pool) / ${per(kids)} / – / –`,
  };
}

/** Time a parallelr run through the built bin; throws when it fails. */
async function parallelrBin(args, env) {
  const t0 = performance.now();
  const child = spawn(process.execPath, [PARALLELR_BIN, ...args], { cwd: dir, stdio: ['ignore', 'ignore', 'pipe'], env: { ...process.env, HOME: home, PARALLELR_HOME: dir, ...env } });
  let err = '';
  child.stderr.on('data', (d) => (err += d));
  const code = await new Promise((r) => child.once('exit', r));
  if (code !== 0) throw new Error(`parallelr ${args.join(' ')} exited ${code}: ${err.slice(-500)}`);
  return (performance.now() - t0) / 1000;
}

/**
 * The same files through the parallelr bin, as an operator runs it: its local pool (`-m` slots) and
 * distributed over `agents` agents; both times include the bin's start. With `tasker -r @TASK@`
 * local parallelr runs the engine in-process, and so do the agents. `--rounds N` runs the pair N
 * times, alternating, with the same agents: the first distributed run meets agents just started
 * (their code not yet optimized by V8); then `--warm-up N` distributed runs that are not measured
 * (default 4), and the later rounds meet agents warmed by those runs, as long-running agents are.
 */
async function binPair(server, agents, { name, count, content, command }) {
  const tdir = join(dir, name);
  mkdirSync(tdir);
  for (let i = 1; i <= count; i++) writeFileSync(join(tdir, `t${String(i).padStart(4, '0')}.txt`), content);
  const slots = String(agents * MAX);
  const common = ['-T', tdir, '-C', command, '-r', '-q'];
  const pool = `${name}${agents}`;
  const procs = [];
  const pairs = [];
  let ok = true;
  const succeeded = (f) => readFileSync(join(dir, f), 'utf8').split('\n').filter((l) => l.includes('"SUCCESS"')).length === count;
  try {
    for (let round = 1; round <= ROUNDS; round++) {
      const local = await parallelrBin([...common, '-m', slots, '--results', join(dir, `${name}-local-${round}.jsonl`)], { PATH: `${binDir}:${process.env.PATH}` });
      if (!procs.length) for (let i = 1; i <= agents; i++) procs.push(await startAgent(server.url, `${pool}-a${i}`, pool));
      const distributedRun = (label) => parallelrBin([...common, '--nats', server.url, '--pool', pool, ...(BATCH ? ['--batch', BATCH] : []), '--results', join(dir, `${name}-nats-${label}.jsonl`)]);
      const nats = await distributedRun(round);
      pairs.push({ local, nats, ratio: nats / local });
      ok &&= succeeded(`${name}-local-${round}.jsonl`) && succeeded(`${name}-nats-${round}.jsonl`);
      if (round === 1 && ROUNDS > 1) {
        for (let w = 1; w <= WARM_UP; w++) {
          await distributedRun(`warm-up-${w}`);
          ok &&= succeeded(`${name}-nats-warm-up-${w}.jsonl`);
        }
      }
    }
  } finally {
    for (const p of procs) await p.stop();
  }
  const warm = pairs.slice(1).sort((a, b) => a.ratio - b.ratio);
  return { cold: pairs[0], warm: warm[Math.floor(warm.length / 2)], warmRounds: warm.length, ok };
}

/** One line for a bin pair: the first run (agents just started), then the median of the later ones. */
function binRatio(what, b, goal) {
  const f = (p) => `${p.nats.toFixed(2)} s vs ${p.local.toFixed(2)} s = ${p.ratio.toFixed(2)}×`;
  const warm = b.warm ? `; agents warmed by ${WARM_UP + 1} earlier runs, as long-running agents are (median of ${b.warmRounds}): ${f(b.warm)}` : '';
  return `${what}: agents just started: ${f(b.cold)}${warm} (goal ≤ ${goal})${b.ok ? '' : ' — NOT every file succeeded'}`;
}

const rows = [];
const ratios = [];
const server = await startNatsServer();
try {
  for (const n of AGENTS) {
    const each = [];
    for (let round = 1; round <= ROUNDS; round++) {
      const before = await localPool(n * MAX);
      const nats = await distributed(server, n, `NATS, ${n} agent${n > 1 ? 's' : ''} × max ${MAX}`, undefined, round);
      const after = await localPool(n * MAX);
      rows.push(before, nats, after);
      const local = (before.secs + after.secs) / 2;
      each.push({ nats: nats.secs, local, ratio: nats.secs / local });
    }
    const mid = [...each].sort((a, b) => a.ratio - b.ratio)[Math.floor(each.length / 2)];
    const all = ROUNDS > 1 ? ` (median of ${ROUNDS} rounds: ${each.map((e) => e.ratio.toFixed(2)).join(', ')})` : '';
    ratios.push(`${JOBS} × /bin/true, ${n} agent${n > 1 ? 's' : ''} × ${MAX} vs a bare runProcess pool of ${n * MAX}: ${mid.nats.toFixed(2)} s vs ${mid.local.toFixed(2)} s (mean of before/after) = ${mid.ratio.toFixed(2)}×${all}`);
  }
  if (TASKER_FILES && existsSync(PARALLELR_BIN) && existsSync(TASKER_BIN)) {
    const n = AGENTS.includes(2) ? 2 : AGENTS[0];
    const agentsLabel = `${n} agent${n > 1 ? 's' : ''} × ${MAX}`;
    const b = await binPair(server, n, { name: 'true-files', count: JOBS, content: '', command: '/bin/true @TASK@' });
    ratios.push(binRatio(`${JOBS} × /bin/true through the parallelr bin, ${agentsLabel} vs local parallelr -m ${n * MAX}`, b, 1.4));
    const t = await binPair(server, n, { name: 'tasker-files', count: 200, content: 'task=0\nhostname=localhost\ncommand=/bin/true\nexec=local\n', command: 'tasker -r @TASK@' });
    ratios.push(binRatio(`200 one-task tasker files, ${agentsLabel} vs local parallelr -m ${n * MAX} (tasker in-process)`, t, 1.5));
  } else if (TASKER_FILES) {
    ratios.push('200 one-task tasker files: skipped (bins not built: npm run build)');
  }
  if (FAULTS) {
    rows.push(await distributed(server, 2, `NATS, 2 agents, one SIGKILLed at 30 %`, 'kill9'));
    rows.push(await distributed(server, 2, `NATS, 2 agents, nats-server restarted at 30 %`, 'restart'));
  }
} finally {
  await server.dispose();
  rmSync(dir, { recursive: true, force: true });
}

console.log(`\n${JOBS} jobs of /bin/true @TASK@ — ${availableParallelism()} CPUs, node ${process.version}, load average before: ${LOAD_BEFORE}, after: ${load()}\n`);
console.log('| run | wall s | jobs/s | every result exactly once | duplicates ignored | CPU ms per job: agent / launcher and job processes / nats-server / controller |');
console.log('|---|---:|---:|---|---:|---|');
for (const r of rows) console.log(`| ${r.label} | ${r.secs.toFixed(2)} | ${r.rate.toFixed(0)} | ${r.ok ? 'yes' : 'NO'} | ${r.duplicates} | ${r.cpu} |`);
console.log('');
for (const r of ratios) console.log(r);
