#!/usr/bin/env node
/**
 * NATS bench: N trivial jobs (`/bin/true @TASK@`) end to end through JetStream and 1, 2, 4 agent
 * processes on loopback, against a local bounded pool (runProcess) on the same machine; then the
 * 2-agent run again with one agent killed (SIGKILL) mid-run and with nats-server restarted
 * mid-run, checking every result arrives exactly once.
 *
 *   node --import tsx bench/nats.mjs [--jobs 10000] [--max 2] [--agents 1,2,4] [--no-faults] [--agent-js DIR]
 */
import { spawn } from 'node:child_process';
import { mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
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
const JOBS = Number(opt('jobs', '10000'));
const MAX = Number(opt('max', '2'));
const AGENTS = opt('agents', '1,2,4').split(',').map(Number);
const FAULTS = !argv.includes('--no-faults');
const AGENT_JS = opt('agent-js', '');

const LOAD_BEFORE = loadavg().map((l) => l.toFixed(2)).join(' ');
const dir = mkdtempSync(join(tmpdir(), 'tasker-nats-bench-'));
const files = [];
for (let i = 1; i <= JOBS; i++) {
  const path = join(dir, `t${String(i).padStart(5, '0')}.txt`);
  writeFileSync(path, '');
  files.push({ taskFile: path, path });
}

const quietIo = (signal) => ({
  stdout: { write: () => true },
  stderr: { write: (t) => process.stderr.write(t) },
  env: { ...process.env, PARALLELR_HOME: dir },
  cwd: dir,
  isTTY: false,
  signal,
});

async function startAgent(url, name, pool) {
  // --agent-js DIR: run agents from compiled JavaScript (as installed), e.g. after
  // `npx tsc -p tsconfig.json --outDir tmp/nats-dist`; default: the TypeScript sources through tsx.
  const entry = AGENT_JS ? ['--', join(resolve(AGENT_JS), 'agent/nats/worker-main.js')] : ['--import', 'tsx', join(ROOT, 'agent/nats/worker-main.ts')];
  const child = spawn(process.execPath, [...entry,
    '--nats', url, '--pool', pool, '--max', String(MAX), '--name', name, '--log-level', 'warn', '--drain-timeout', '5'], {
    cwd: ROOT, stdio: ['ignore', 'pipe', 'inherit'], env: { ...process.env, TASKER_NATS_ACK_WAIT: '3' },
  });
  let out = '';
  child.stdout.on('data', (d) => (out += d));
  const exited = new Promise((r) => child.once('exit', r));
  while (!out.includes('ready')) {
    if (child.exitCode !== null) throw new Error(`agent ${name} did not start`);
    await new Promise((r) => setTimeout(r, 20));
  }
  return { child, cpu: () => cpuOf(child.pid), stop: async (sig = 'SIGTERM') => { if (child.exitCode === null) child.kill(sig); await exited; } };
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

function exactlyOnce(result) {
  const seen = new Set(result.records.map((r) => r.task_file));
  return result.records.length === JOBS && seen.size === JOBS && result.counts.succeeded === JOBS;
}

async function distributed(server, agents, label, fault) {
  const pool = `bench${agents}${fault ? fault : ''}`;
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
    resultsFile: join(dir, `${pool}.jsonl`),
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
  const kids0 = cpuOf(process.pid)[1];
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
  const kids = cpuOf(process.pid)[1] - kids0;
  const per = (ms) => (ms / JOBS).toFixed(2);
  return {
    label: `local pool (runProcess), ${concurrency} at once`, agents: 0, secs, rate: JOBS / secs, ok: ok === JOBS, duplicates: 0,
    cpu: `${per((self.user + self.system) / 1000)} (pool) / ${per(kids)} / – / –`,
  };
}

const rows = [];
const server = await startNatsServer();
try {
  rows.push(await localPool(MAX));
  rows.push(await localPool(MAX * 2));
  for (const n of AGENTS) rows.push(await distributed(server, n, `NATS, ${n} agent${n > 1 ? 's' : ''} × max ${MAX}`));
  if (FAULTS) {
    rows.push(await distributed(server, 2, `NATS, 2 agents, one SIGKILLed at 30 %`, 'kill9'));
    rows.push(await distributed(server, 2, `NATS, 2 agents, nats-server restarted at 30 %`, 'restart'));
  }
} finally {
  await server.dispose();
  rmSync(dir, { recursive: true, force: true });
}

console.log(`\n${JOBS} jobs of /bin/true @TASK@ — ${availableParallelism()} CPUs, node ${process.version}, load average before: ${LOAD_BEFORE}, after: ${loadavg().map((l) => l.toFixed(2)).join(' ')}\n`);
console.log('| run | wall s | jobs/s | every result exactly once | duplicates ignored | CPU ms per job: agent / job processes / nats-server / controller |');
console.log('|---|---:|---:|---|---:|---|');
for (const r of rows) console.log(`| ${r.label} | ${r.secs.toFixed(2)} | ${r.rate.toFixed(0)} | ${r.ok ? 'yes' : 'NO'} | ${r.duplicates} | ${r.cpu} |`);
