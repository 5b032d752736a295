#!/usr/bin/env node
/**
 * NATS bench for tasker files (issue 14 item 1): N one-task tasker files (`/bin/true`) run by the
 * parallelr bin locally (tasker in-process, -m SLOTS) and distributed over AGENTS bundled
 * `tasker-agent serve --nats` processes × MAX slots (tasker in-process on the agents), side by
 * side in interleaved rounds on one nats-server. Both are timed as an operator sees them: the
 * parallelr command from start to exit. Prints both medians and the ratio (goal ≤ 1.5×), and the
 * CPU of parallelr (with its children), the agents (with their reaped children: not what their
 * launcher starts) and nats-server.
 *
 *   npm run build && node --import tsx bench/nats-tasker.mjs [--files 200] [--rounds 3] [--agents 2] [--max 2] [--spawned]
 *       [--command TEMPLATE] [--warm-up 4]
 *
 * The agents first run the files `--warm-up` times (default 4, not measured), as long-running agents
 * have: V8 optimizes an agent's per-job code only after some hundred jobs (docs/benchmarks.md,
 * "Warmed agents"). `--warm-up 0` measures agents just started.
 *
 * --command runs another template in both (default `tasker -r @TASK@`): `--command '/bin/true @TASK@'
 * --files 600` compares parallelr's local pool with the fleet, bin against bin, as an operator runs them.
 *
 * PROF_DIR=DIR writes a CPU profile of every parallelr and agent process there.
 *
 * --spawned adds the distributed run with the tasker bin started per file (`env tasker …` is not
 * recognised as tasker itself), the cost before agents ran task files in-process.
 */
import { spawn } from 'node:child_process';
import { mkdirSync, mkdtempSync, readFileSync, rmSync, symlinkSync, writeFileSync } from 'node:fs';
import { loadavg, tmpdir } from 'node:os';
import { dirname, join, resolve } from 'node:path';
import { fileURLToPath } from 'node:url';

const ROOT = resolve(dirname(fileURLToPath(import.meta.url)), '..');
const { startNatsServer } = await import(join(ROOT, 'test/helpers/nats-server.ts'));

const argv = process.argv.slice(2);
const opt = (name, def) => {
  const i = argv.indexOf(`--${name}`);
  return i >= 0 ? argv[i + 1] : def;
};
const FILES = Number(opt('files', '200'));
const ROUNDS = Number(opt('rounds', '3'));
const AGENTS = Number(opt('agents', '2'));
const MAX = Number(opt('max', '2'));
const SPAWNED = argv.includes('--spawned');
/** `--warm-up N`: distributed runs before the measured rounds, not measured: agents warmed as long-running agents are. */
const WARM_UP = Number(opt('warm-up', '4'));
/** The command template both runs use: tasker itself (in-process), or e.g. `/bin/true @TASK@` for the pools' own cost. */
const COMMAND = opt('command', 'tasker -r @TASK@');
const TASKER = COMMAND === 'tasker -r @TASK@';
const PARALLELR = join(ROOT, 'dist/controller/cli/parallelr.cjs');
const AGENT = join(ROOT, 'dist/agent/cli/tasker-agent.cjs');
/** `PROF_DIR=DIR`: every parallelr and agent process writes its CPU profile there (node --cpu-prof). */
const PROF = process.env.PROF_DIR ? ['--cpu-prof', `--cpu-prof-dir=${resolve(process.env.PROF_DIR)}`] : [];

const dir = mkdtempSync(join(tmpdir(), 'tasker-nats-tasker-bench-'));
const tasks = join(dir, 'tasks');
const bin = join(dir, 'bin');
mkdirSync(tasks);
mkdirSync(bin);
// `tasker` on PATH for the spawned variant (and as an operator's agent host has it).
symlinkSync(join(ROOT, 'dist/controller/cli/tasker.cjs'), join(bin, 'tasker'));
for (let i = 1; i <= FILES; i++) {
  writeFileSync(join(tasks, `t${String(i).padStart(4, '0')}.txt`), 'task=0\nhostname=localhost\ncommand=/bin/true\nexec=local\n');
}
const env = {
  ...process.env,
  HOME: join(dir, 'home'),
  PARALLELR_HOME: join(dir, 'parallelr'),
  PARALLELR_SYSTEM_CONFIG: join(dir, 'none.yaml'),
  TASKER_NATS_STATE_DIR: join(dir, 'runs'),
  PATH: `${bin}:${process.env.PATH}`,
};

const server = await startNatsServer();
const pool = 'tasker-bench';
const agents = [];
for (let i = 1; i <= AGENTS; i++) agents.push(await startAgent(`b${i}`));

/** A bundled `tasker-agent serve --nats` (as installed, default log level), ready once its worker started. */
async function startAgent(name) {
  const child = spawn(process.execPath, [...PROF, AGENT, 'serve', '--nats', server.url, '--pool', pool, '--max', String(MAX)], {
    cwd: dir, env, stdio: ['ignore', 'ignore', 'pipe'],
  });
  let err = '';
  child.stderr.on('data', (d) => (err = (err + d).slice(-20_000)));
  const exited = new Promise((r) => child.once('exit', r));
  while (!err.includes('nats worker started')) {
    if (child.exitCode !== null) throw new Error(`agent ${name} exited: ${err}`);
    await sleep(25);
  }
  return { child, stop: async () => { if (child.exitCode === null) child.kill('SIGTERM'); await exited; } };
}

function sleep(ms) {
  return new Promise((r) => setTimeout(r, ms));
}

/** Runs the parallelr bin; its wall time in ms (throws when it fails or a file did not succeed). */
async function timeParallelr(label, extra, command) {
  const results = join(dir, `${label}.jsonl`);
  rmSync(results, { force: true });
  const t0 = performance.now();
  // Not spawnSync: the agents' stderr must keep draining while parallelr runs.
  const others0 = [server.pid, ...agents.map((a) => a.child.pid)].map(cpuOf);
  // /usr/bin/time reports parallelr's CPU with its children's (the tasks); the agents' and the server's come from /proc.
  const child = spawn('/usr/bin/time', ['-f', 'CPU %U %S', process.execPath, ...PROF, PARALLELR, '-T', tasks, '-C', command, '-r', '-q', '--no-backup-inputs', '--no-task-output-log', '--results', results, ...extra], { cwd: dir, env, stdio: ['ignore', 'pipe', 'pipe'] });
  let out = '';
  child.stdout.on('data', (d) => (out = (out + d).slice(-20_000)));
  child.stderr.on('data', (d) => (out = (out + d).slice(-20_000)));
  const code = await new Promise((r) => child.once('exit', r));
  const ms = performance.now() - t0;
  const [, user, sys] = /CPU (\S+) (\S+)/.exec(out) ?? [0, 'NaN', 'NaN'];
  const others = [server.pid, ...agents.map((a) => a.child.pid)].map((pid, i) => cpuOf(pid) - others0[i]);
  const agentsCpu = others.slice(1).reduce((a, b) => a + b, 0);
  const controller = (Number(user) + Number(sys)) * 1000;
  cpu[label] ??= [];
  cpu[label].push(controller + others[0] + agentsCpu);
  parts[label] ??= [];
  parts[label].push(`${controller.toFixed(0)} / ${agentsCpu.toFixed(0)} / ${others[0].toFixed(0)}`);
  if (code !== 0) throw new Error(`${label}: parallelr exited ${code}: ${out}`);
  const rows = readFileSync(results, 'utf8').trim().split('\n').map((l) => JSON.parse(l));
  if (rows.length !== FILES || rows.some((x) => x.status !== 'SUCCESS')) throw new Error(`${label}: ${rows.length} records, not all SUCCESS`);
  return ms;
}

const TICK_MS = 10; // USER_HZ 100
/** CPU ms of a process and its reaped children so far (/proc/<pid>/stat). */
function cpuOf(pid) {
  try {
    const stat = readFileSync(`/proc/${pid}/stat`, 'utf8');
    const f = stat.slice(stat.lastIndexOf(')') + 2).split(' ');
    return (Number(f[11]) + Number(f[12]) + Number(f[13]) + Number(f[14])) * TICK_MS;
  } catch {
    return 0;
  }
}
const cpu = {};
/** CPU ms per round: parallelr with its children / the agents with theirs / nats-server. */
const parts = {};

const LOAD_BEFORE = loadavg().map((l) => l.toFixed(2)).join(' ');
const variants = [
  ['local, parallelr -m ' + AGENTS * MAX + (TASKER ? ', tasker in-process' : ''), () => timeParallelr('local', ['-m', String(AGENTS * MAX)], COMMAND)],
  [`NATS, ${AGENTS} agents × ${MAX}${TASKER ? ', tasker in-process on the agents' : ''}`, () => timeParallelr('nats', ['-m', String(AGENTS * MAX), '--nats', server.url, '--pool', pool], COMMAND)],
];
if (SPAWNED) variants.push([`NATS, ${AGENTS} agents × ${MAX}, tasker bin per file`, () => timeParallelr('spawned', ['-m', String(AGENTS * MAX), '--nats', server.url, '--pool', pool], 'env tasker -r @TASK@')]);
const times = variants.map(() => []);
try {
  for (let w = 0; w < WARM_UP; w++) await timeParallelr('warm-up', ['-m', String(AGENTS * MAX), '--nats', server.url, '--pool', pool], COMMAND);
  for (let round = 0; round < ROUNDS; round++) for (const [k, [, fn]] of variants.entries()) times[k].push(await fn());
} finally {
  for (const a of agents) await a.stop();
  await server.dispose();
  rmSync(dir, { recursive: true, force: true });
}
const median = (xs) => [...xs].sort((a, b) => a - b)[Math.floor(xs.length / 2)];
console.log(`${FILES} one-task tasker files (/bin/true), command \`${COMMAND}\`, agents warmed by ${WARM_UP} runs, ${ROUNDS} interleaved rounds, load before ${LOAD_BEFORE}, after ${loadavg().map((l) => l.toFixed(2)).join(' ')}`);
const labels = ['local', 'nats', 'spawned'];
variants.forEach(([name], k) => console.log(`  ${name.padEnd(56)} ${median(times[k]).toFixed(0).padStart(6)} ms wall (${times[k].map((x) => x.toFixed(0)).join(', ')}), CPU ${median(cpu[labels[k]]).toFixed(0)} ms`));
variants.forEach(([name], k) => console.log(`  CPU ms parallelr / agents / nats-server, ${name}: ${parts[labels[k]].join(', ')}`));
const ratio = median(times[1]) / median(times[0]);
console.log(`  distributed / local: ${ratio.toFixed(2)}× wall (goal: ≤ ${TASKER ? '1.5' : '1.4'}×), ${(median(cpu.nats) / median(cpu.local)).toFixed(2)}× CPU (parallelr with its tasks, agents, nats-server)`);
if (SPAWNED) console.log(`  in-process on agents vs tasker bin per file: ${(median(times[2]) / median(times[1])).toFixed(1)}× faster`);
