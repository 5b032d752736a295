#!/usr/bin/env node
// Agent and SSH overhead benchmark (issue 5, SPEC §4). Runs over the build: `npm run build && node bench/agent.mjs [N] [ROUNDS]`.
//
//  - per-task cost of /bin/true: local runProcess vs through an agent (loopback mTLS) vs through an
//    agent reached by an SSH tunnel (real sshd on loopback)
//  - exec=ssh per-command cost on a reused ssh2 connection vs OpenSSH with ControlMaster
//  - 100 MB of stdout streamed through an agent (MB/s), vs the same locally
//
// This box is shared (2 cores, other jobs come and go), so the cases are interleaved: every round
// runs N/ROUNDS tasks of each case back to back, and the table shows the median over rounds of
// each case and of each overhead (agent − local in the same round). CPU columns are CPU time per
// task of the controller (this process) and of the agent process, which scheduling noise moves
// much less than wall time. The load average is printed before and after.
import { execFileSync, spawn } from 'node:child_process';
import { existsSync, mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { loadavg, tmpdir } from 'node:os';
import { join } from 'node:path';
import { startSshd } from './agent-sshd.mjs';

const root = join(import.meta.dirname, '..');
const dist = join(root, 'dist');
if (!existsSync(join(dist, 'agent', 'cli', 'tasker-agent.js'))) {
  console.error('bench/agent.mjs needs the build: run `npm run build` first');
  process.exit(2);
}
const N = Number(process.argv[2] ?? 600);
const ROUNDS = Number(process.argv[3] ?? 6);
const PER_ROUND = Math.max(1, Math.round(N / ROUNDS));
const WARMUP = 30;
const { runProcess } = await import(join(dist, 'shared/exec/run-process.js'));
const { createAgentExecutor } = await import(join(dist, 'controller/executors/agent-executor.js'));
const { createSshExecutor } = await import(join(dist, 'controller/executors/ssh-executor.js'));
const { createLocalExecutor } = await import(join(dist, 'core/executors/local-executor.js'));
const { defaultRegistry } = await import(join(dist, 'shared/exec/exec-types.js'));
const { initCa, issueCert } = await import(join(dist, 'agent/certs/certs.js'));
const loadStart = loadavg();
const taskEnv = Object.freeze({ ...process.env });

function startAgent(args) {
  const child = spawn(process.execPath, [join(dist, 'agent/cli/tasker-agent.js'), 'serve', ...args], {
    stdio: ['ignore', 'pipe', 'ignore'], // the agent logs one info line per task, as in production
  });
  return new Promise((resolve, reject) => {
    let out = '';
    child.stdout.on('data', (d) => {
      out += d;
      const m = /listening on (\S+)/.exec(out);
      if (m) resolve({ child, address: m[1], port: m[1].startsWith('unix:') ? 0 : Number(/:(\d+)$/.exec(m[1])[1]) });
    });
    child.once('exit', (code) => reject(new Error(`agent exited ${code}`)));
  });
}
async function stopAgent(a) {
  const exited = new Promise((r) => a.child.once('exit', r));
  a.child.kill('SIGTERM');
  await exited;
}
/** CPU ms used so far by a process (utime + stime, clock ticks of 10 ms). */
function cpuMsOf(pid) {
  const f = readFileSync(`/proc/${pid}/stat`, 'utf8').split(') ')[1].split(' ');
  return (Number(f[11]) + Number(f[12])) * 10;
}
const median = (xs) => {
  const s = [...xs].sort((a, b) => a - b);
  return s.length % 2 ? s[(s.length - 1) / 2] : (s[s.length / 2 - 1] + s[s.length / 2]) / 2;
};

/**
 * `n` tasks of /bin/true in a plain sequence the way `tasker -r` runs them: each goes through the
 * executor's start-ahead seam with the next tasks (up to its depth) and takes the one started ahead for it.
 */
const chain = (ex) => {
  const fn = async (n) => {
    const next = { taskId: '2', execType: 'local', hostname: 'localhost', command: '/bin/true', arguments: '', timeoutMs: 60_000 };
    let ahead = [];
    for (let i = 0; i < n; i++) {
      const taken = ahead.shift();
      const want = Math.min(ex.startAhead.depth - ahead.length, n - 1 - i - ahead.length);
      const { result: r, started } = await ex.startAhead.execute(req('/bin/true'), { taken, next: Array.from({ length: Math.max(0, want) }, () => next), after: ahead.at(-1) });
      if (r.exitCode !== 0) throw new Error(`chained /bin/true failed: ${r.stderr}`);
      ahead.push(...started);
    }
  };
  fn.batch = true;
  return fn;
};

const req = (command, args = '') => ({ runId: 'bench', taskId: '1', execType: 'local', hostname: 'localhost', command, arguments: args, timeoutMs: 60_000 });

/**
 * `n` sequential runs: wall ms per run, controller CPU ms per run, and the other process's CPU ms
 * per run. `fn.batch`: fn(n) makes the n runs itself (a chain).
 */
async function measure(fn, n, otherPid) {
  const c0 = process.cpuUsage();
  const o0 = otherPid ? cpuMsOf(otherPid) : 0;
  const t0 = performance.now();
  if (fn.batch) await fn(n);
  else for (let i = 0; i < n; i++) await fn();
  const wall = (performance.now() - t0) / n;
  const c = process.cpuUsage(c0);
  return { wall, cpu: (c.user + c.system) / 1000 / n, other: otherPid ? (cpuMsOf(otherPid) - o0) / n : undefined };
}

/** Interleaved rounds over `cases` ({name, fn, pid?}); per case the medians over rounds. */
async function interleave(cases, perRound, rounds) {
  for (const c of cases) {
    if (c.fn.batch) await c.fn(WARMUP);
    else for (let i = 0; i < (perRound === 1 ? 1 : WARMUP); i++) await c.fn();
  }
  const per = new Map(cases.map((c) => [c.name, []]));
  for (let r = 0; r < rounds; r++) for (const c of cases) per.get(c.name).push(await measure(c.fn, perRound, c.pid));
  return per;
}

const rows = [];
const tmp = mkdtempSync(join(tmpdir(), 'tasker-bench-agent-'));
const sshd = await startSshd();
let tlsAgent, plainAgent;
try {
  await initCa(tmp);
  const agentCert = await issueCert({ dir: tmp, name: 'agent1', sans: ['127.0.0.1'], usage: 'server' });
  const ctlCert = await issueCert({ dir: tmp, name: 'controller1', usage: 'client' });
  tlsAgent = await startAgent(['--listen', '127.0.0.1:0', '--tls-ca', join(tmp, 'ca.crt'), '--tls-cert', agentCert.cert, '--tls-key', agentCert.key]);
  // The tunnelled agent listens on its Unix socket (the default transport; sshd forwards to it).
  const socket = join(tmp, 'sock', 'agent.sock');
  plainAgent = await startAgent(['--listen', `unix:${socket}`]);
  const tlsEx = createAgentExecutor({ name: 'tls', kind: 'tls', address: tlsAgent.address, tls: { ca: join(tmp, 'ca.crt'), cert: ctlCert.cert, key: ctlCert.key } });
  const sshSpec = { name: 'tun', kind: 'ssh', ssh: { host: '127.0.0.1', port: sshd.port, user: sshd.user, identity: sshd.identity, knownHosts: sshd.knownHosts }, socket };
  const tunEx = createAgentExecutor(sshSpec);
  // The same agent reached directly on its socket (a controller on the agent's host).
  const unixEx = createAgentExecutor({ name: 'unix', kind: 'unix', path: socket });
  // The same agent without the Session stream: one Execute call (HTTP/2 stream) per task.
  const tlsCallEx = createAgentExecutor({ name: 'tls-calls', kind: 'tls', address: tlsAgent.address, tls: { ca: join(tmp, 'ca.crt'), cert: ctlCert.cert, key: ctlCert.key } }, { session: false });
  // As tasker does before a run: it enables pipelining and the Session stream.
  await Promise.all([tlsEx.probe(), tunEx.probe(), tlsCallEx.probe(), unixEx.probe()]);

  // 1. per-task overhead on /bin/true
  const perTask = await interleave([
    // A frozen environment, as `tasker` and `tasker-agent` pass (the launcher encodes it once).
    { name: 'local', fn: () => runProcess({ argv: ['/bin/true'], timeoutMs: 60_000, env: taskEnv }) },
    { name: 'tls', fn: () => tlsEx.execute(req('/bin/true')), pid: tlsAgent.child.pid },
    { name: 'tunnel', fn: () => tunEx.execute(req('/bin/true')), pid: plainAgent.child.pid },
    { name: 'unix', fn: () => unixEx.execute(req('/bin/true')), pid: plainAgent.child.pid },
    { name: 'tlsCall', fn: () => tlsCallEx.execute(req('/bin/true')), pid: tlsAgent.child.pid },
  ], PER_ROUND, ROUNDS);
  const local = perTask.get('local');
  const over = (name) => median(perTask.get(name).map((m, i) => m.wall - local[i].wall));
  const stat = (name, key) => median(perTask.get(name).map((m) => m[key]));
  rows.push({ name: 'local runProcess /bin/true', value: stat('local', 'wall'), unit: 'ms/task', note: `CPU: ${stat('local', 'cpu').toFixed(2)} ms (Node; plus the launcher)` });
  for (const [name, label] of [['tls', 'agent, loopback mTLS'], ['tunnel', 'agent, through SSH tunnel'], ['unix', 'agent, its Unix socket on this host'], ['tlsCall', 'agent, loopback mTLS, an Execute call per task (no Session)']]) {
    rows.push({
      name: label, value: stat(name, 'wall'), unit: 'ms/task',
      note: `+${over(name).toFixed(2)} ms vs local; CPU: controller ${stat(name, 'cpu').toFixed(2)} ms, agent ${stat(name, 'other').toFixed(2)} ms`,
    });
  }

  // 1a. the same as a plain sequence, the way tasker runs one: locally the launcher starts each
  //     next task the moment the one before exits 0; an agent gets the next two pipelined.
  const localEx = createLocalExecutor({ registry: defaultRegistry(), env: taskEnv, cwd: tmp });
  const chained = await interleave([
    { name: 'local', fn: chain(localEx) },
    { name: 'tls', fn: chain(tlsEx), pid: tlsAgent.child.pid },
    { name: 'tunnel', fn: chain(tunEx), pid: plainAgent.child.pid },
  ], PER_ROUND, ROUNDS);
  const chainedLocal = chained.get('local');
  const chainedOver = (name) => median(chained.get(name).map((m, i) => m.wall - chainedLocal[i].wall));
  const chainedStat = (name, key) => median(chained.get(name).map((m) => m[key]));
  rows.push({ name: 'local, plain sequence (chained starts)', value: chainedStat('local', 'wall'), unit: 'ms/task', note: `CPU: ${chainedStat('local', 'cpu').toFixed(2)} ms` });
  for (const [name, label] of [['tls', 'agent mTLS, plain sequence (pipelined)'], ['tunnel', 'agent via SSH tunnel, plain sequence (pipelined)']]) {
    rows.push({
      name: label, value: chainedStat(name, 'wall'), unit: 'ms/task',
      note: `**+${chainedOver(name).toFixed(2)} ms** vs local chained; CPU: controller ${chainedStat(name, 'cpu').toFixed(2)} ms, agent ${chainedStat(name, 'other').toFixed(2)} ms`,
    });
  }

  // 1b. the same through the whole controller: `tasker -r` over a file of /bin/true tasks,
  //     locally vs on each agent (process start and validation cancel out in the difference).
  const { writeFileSync } = await import('node:fs');
  const TASKS = 300;
  // `withVar`: each task's arguments name the previous task's exit code (@N_exit@), so no task can
  // be started ahead (locally no chained start, on an agent no pipelining): one call per task.
  const file = (agent, withVar = false) => Array.from({ length: TASKS }, (_, i) =>
    `task=${i}\nhostname=localhost\nexec=local\ncommand=/bin/true\n${withVar && i > 0 ? `arguments=@${i - 1}_exit@\n` : ''}${agent ? `agent=${agent}\n` : ''}`).join('\n');
  writeFileSync(join(tmp, 'local.txt'), file());
  writeFileSync(join(tmp, 'tls.txt'), file('jump-tls'));
  writeFileSync(join(tmp, 'tunnel.txt'), file('jump-ssh'));
  writeFileSync(join(tmp, 'local-var.txt'), file(undefined, true));
  writeFileSync(join(tmp, 'tls-var.txt'), file('jump-tls', true));
  writeFileSync(join(tmp, 'tasker.yaml'), [
    'agents:',
    `  jump-tls: {address: "${tlsAgent.address}", tls: {ca: "${join(tmp, 'ca.crt')}", cert: "${ctlCert.cert}", key: "${ctlCert.key}"}}`,
    `  jump-ssh: {ssh: {host: 127.0.0.1, port: ${sshd.port}, user: ${sshd.user}, identity: "${sshd.identity}", known_hosts: "${sshd.knownHosts}"}, address: "unix:${socket}"}`,
    '',
  ].join('\n'));
  const tasker = (name) => () => {
    execFileSync(process.execPath, [join(dist, 'controller/cli/tasker.js'), '-r', join(tmp, `${name}.txt`), '-l', join(tmp, 'logs'), '--config', join(tmp, 'tasker.yaml')], { stdio: 'ignore' });
  };
  const runs = await interleave([
    { name: 'local', fn: async () => tasker('local')() },
    { name: 'tls', fn: async () => tasker('tls')() },
    { name: 'tunnel', fn: async () => tasker('tunnel')() },
    { name: 'local-var', fn: async () => tasker('local-var')() },
    { name: 'tls-var', fn: async () => tasker('tls-var')() },
  ], 1, Math.max(3, ROUNDS));
  const runLocal = runs.get('local');
  const perTaskOver = (name) => median(runs.get(name).map((m, i) => (m.wall - runLocal[i].wall) / TASKS));
  rows.push({ name: `tasker -r, ${TASKS} /bin/true tasks, local`, value: median(runLocal.map((m) => m.wall)), unit: 'ms/run', note: '' });
  rows.push({ name: `tasker -r, ${TASKS} tasks on the mTLS agent`, value: median(runs.get('tls').map((m) => m.wall)), unit: 'ms/run', note: `+${perTaskOver('tls').toFixed(2)} ms per task vs local` });
  rows.push({ name: `tasker -r, ${TASKS} tasks on the SSH-tunnel agent`, value: median(runs.get('tunnel').map((m) => m.wall)), unit: 'ms/run', note: `+${perTaskOver('tunnel').toFixed(2)} ms per task vs local (incl. the SSH connect)` });
  const varOver = median(runs.get('tls-var').map((m, i) => (m.wall - runs.get('local-var')[i].wall) / TASKS));
  rows.push({ name: `tasker -r, ${TASKS} tasks using @N_exit@ (none sent ahead), local`, value: median(runs.get('local-var').map((m) => m.wall)), unit: 'ms/run', note: '' });
  rows.push({ name: `tasker -r, ${TASKS} tasks using @N_exit@ (none sent ahead), mTLS agent`, value: median(runs.get('tls-var').map((m) => m.wall)), unit: 'ms/run', note: `**+${varOver.toFixed(2)} ms per task** vs local` });

  // 2. exec=ssh per command on a reused connection vs OpenSSH ControlMaster
  const sshEx = createSshExecutor({ user: sshd.user, identity: sshd.identity, knownHosts: sshd.knownHosts });
  const sshReq = { ...req('/bin/true'), execType: 'ssh', hostname: `127.0.0.1:${sshd.port}` };
  const cm = join(tmp, 'cm-%C');
  const sshArgs = ['-o', 'ControlMaster=auto', '-o', `ControlPath=${cm}`, '-o', 'ControlPersist=60', '-o', 'BatchMode=yes',
    '-o', `UserKnownHostsFile=${sshd.knownHosts}`, '-o', 'StrictHostKeyChecking=yes', '-i', sshd.identity, '-p', String(sshd.port), `${sshd.user}@127.0.0.1`];
  const sshRounds = await interleave([
    { name: 'ssh2', fn: () => sshEx.execute(sshReq) },
    { name: 'openssh', fn: () => runProcess({ argv: ['ssh', ...sshArgs, '/bin/true'] }) },
  ], Math.max(1, Math.round(Math.min(N, 300) / ROUNDS)), ROUNDS);
  const ssh2 = median(sshRounds.get('ssh2').map((m) => m.wall));
  const openssh = median(sshRounds.get('openssh').map((m) => m.wall));
  rows.push({ name: 'exec=ssh (ssh2, reused connection)', value: ssh2, unit: 'ms/cmd', note: `${(ssh2 / openssh).toFixed(2)}× OpenSSH ControlMaster` });
  rows.push({ name: 'OpenSSH ssh with ControlMaster', value: openssh, unit: 'ms/cmd', note: '' });
  try {
    execFileSync('ssh', ['-O', 'exit', ...sshArgs], { stdio: 'ignore' });
  } catch {
    // master already gone
  }

  // 3. 100 MB of stdout (median of 3 runs each, interleaved)
  const MB = 100;
  const timeIt = async (fn) => {
    const t0 = performance.now();
    const r = await fn();
    if (r.stdoutBytes !== MB * 1024 * 1024) throw new Error(`expected ${MB} MB, got ${r.stdoutBytes} bytes (${r.stderr})`);
    for (const f of [r.stdoutFile, r.stderrFile]) if (f) rmSync(f, { force: true });
    return MB / ((performance.now() - t0) / 1000);
  };
  const big = { local: [], tls: [], tunnel: [] };
  for (let r = 0; r < 3; r++) {
    big.local.push(await timeIt(() => runProcess({ argv: ['head', '-c', String(MB * 1024 * 1024), '/dev/zero'] })));
    big.tls.push(await timeIt(() => tlsEx.execute(req('head', `-c ${MB * 1024 * 1024} /dev/zero`))));
    big.tunnel.push(await timeIt(() => tunEx.execute(req('head', `-c ${MB * 1024 * 1024} /dev/zero`))));
  }
  const bl = median(big.local);
  rows.push({ name: `${MB} MB stdout, local runProcess`, value: bl, unit: 'MB/s', note: '' });
  rows.push({ name: `${MB} MB stdout, agent mTLS`, value: median(big.tls), unit: 'MB/s', note: `${(median(big.tls) / bl).toFixed(2)}× local` });
  rows.push({ name: `${MB} MB stdout, agent via SSH tunnel`, value: median(big.tunnel), unit: 'MB/s', note: `${(median(big.tunnel) / bl).toFixed(2)}× local` });

  await Promise.all([tlsEx.close(), tunEx.close(), tlsCallEx.close(), unixEx.close(), sshEx.close()]);
} finally {
  if (tlsAgent) await stopAgent(tlsAgent);
  if (plainAgent) await stopAgent(plainAgent);
  await sshd.stop();
  rmSync(tmp, { recursive: true, force: true });
}

const fmtLoad = (l) => l.map((x) => x.toFixed(2)).join(' ');
console.log(`bench/agent.mjs — N=${N} tasks per case in ${ROUNDS} interleaved rounds (medians), node ${process.version}`);
console.log(`load average before: ${fmtLoad(loadStart)}; after: ${fmtLoad(loadavg())}`);
console.log('| case | value | unit | notes |');
console.log('|---|---|---|---|');
for (const r of rows) console.log(`| ${r.name} | ${r.value.toFixed(r.unit === 'MB/s' || r.unit === 'ms/run' ? 0 : 2)} | ${r.unit} | ${r.note} |`);
