#!/usr/bin/env node
// Agent and SSH overhead benchmark (issue 5, SPEC §4). Runs over the build: `npm run build && node bench/agent.mjs [N]`.
//
//  - per-task cost of /bin/true: local runProcess vs through an agent (loopback mTLS) vs through an
//    agent reached by an SSH tunnel (real sshd on loopback)
//  - exec=ssh per-command cost on a reused ssh2 connection vs OpenSSH with ControlMaster
//  - 100 MB of stdout streamed through an agent (MB/s), vs the same locally
import { execFileSync, spawn } from 'node:child_process';
import { existsSync, mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { startSshd } from './agent-sshd.mjs';

const root = join(import.meta.dirname, '..');
const dist = join(root, 'dist');
if (!existsSync(join(dist, 'agent', 'cli', 'tasker-agent.js'))) {
  console.error('bench/agent.mjs needs the build: run `npm run build` first');
  process.exit(2);
}
const N = Number(process.argv[2] ?? 300);
const WARMUP = 20;
const { runProcess } = await import(join(dist, 'shared/exec/run-process.js'));
const { createAgentExecutor } = await import(join(dist, 'controller/agents/index.js'));
const { createSshExecutor } = await import(join(dist, 'controller/ssh/index.js'));
const { initCa, issueCert } = await import(join(dist, 'agent/certs/certs.js'));

function startAgent(args) {
  const child = spawn(process.execPath, [join(dist, 'agent/cli/tasker-agent.js'), 'serve', '--log-level', 'warn', ...args], {
    stdio: ['ignore', 'pipe', 'inherit'],
  });
  return new Promise((resolve, reject) => {
    let out = '';
    child.stdout.on('data', (d) => {
      out += d;
      const m = /listening on (\S+)/.exec(out);
      if (m) resolve({ child, address: m[1], port: Number(/:(\d+)$/.exec(m[1])[1]) });
    });
    child.once('exit', (code) => reject(new Error(`agent exited ${code}`)));
  });
}
async function stopAgent(a) {
  const exited = new Promise((r) => a.child.once('exit', r));
  a.child.kill('SIGTERM');
  await exited;
}

const req = (command, args = '') => ({ runId: 'bench', taskId: '1', execType: 'local', hostname: 'localhost', command, arguments: args, timeoutMs: 60_000 });

/** Median-free simple mean of N sequential runs after a warm-up, in ms per run. */
async function perRun(fn, n = N) {
  for (let i = 0; i < WARMUP; i++) await fn();
  const t0 = performance.now();
  for (let i = 0; i < n; i++) await fn();
  return (performance.now() - t0) / n;
}

const rows = [];
const add = (name, value, unit, base) => rows.push({ name, value, unit, ratio: base ? value / base : undefined });

const tmp = mkdtempSync(join(tmpdir(), 'tasker-bench-agent-'));
const sshd = await startSshd();
let tlsAgent, plainAgent;
try {
  await initCa(tmp);
  const agentCert = await issueCert({ dir: tmp, name: 'agent1', sans: ['127.0.0.1'], usage: 'server' });
  const ctlCert = await issueCert({ dir: tmp, name: 'controller1', usage: 'client' });
  tlsAgent = await startAgent(['--listen', '127.0.0.1:0', '--tls-ca', join(tmp, 'ca.crt'), '--tls-cert', agentCert.cert, '--tls-key', agentCert.key]);
  plainAgent = await startAgent(['--listen', '127.0.0.1:0']);

  // 1. per-task overhead on /bin/true
  const local = await perRun(() => runProcess({ argv: ['/bin/true'], timeoutMs: 60_000 }));
  add('local runProcess /bin/true', local, 'ms/task');
  const tlsEx = createAgentExecutor({ name: 'tls', kind: 'tls', address: tlsAgent.address, tls: { ca: join(tmp, 'ca.crt'), cert: ctlCert.cert, key: ctlCert.key, serverName: 'agent1' } });
  const viaTls = await perRun(() => tlsEx.execute(req('/bin/true')));
  add('agent, loopback mTLS', viaTls, 'ms/task', local);
  const sshSpec = { name: 'tun', kind: 'ssh', ssh: { host: '127.0.0.1', port: sshd.port, user: sshd.user, identity: sshd.identity, knownHosts: sshd.knownHosts }, port: plainAgent.port };
  const tunEx = createAgentExecutor(sshSpec);
  const viaTunnel = await perRun(() => tunEx.execute(req('/bin/true')));
  add('agent, through SSH tunnel', viaTunnel, 'ms/task', local);

  // 2. exec=ssh per command on a reused connection vs OpenSSH ControlMaster
  const sshEx = createSshExecutor({ user: sshd.user, identity: sshd.identity, knownHosts: sshd.knownHosts });
  const sshReq = { ...req('/bin/true'), execType: 'ssh', hostname: `127.0.0.1:${sshd.port}` };
  const viaSsh2 = await perRun(() => sshEx.execute(sshReq), Math.min(N, 200));
  const cm = join(tmp, 'cm-%C');
  const sshArgs = ['-o', 'ControlMaster=auto', '-o', `ControlPath=${cm}`, '-o', 'ControlPersist=60', '-o', 'BatchMode=yes',
    '-o', `UserKnownHostsFile=${sshd.knownHosts}`, '-o', 'StrictHostKeyChecking=yes', '-i', sshd.identity, '-p', String(sshd.port), `${sshd.user}@127.0.0.1`];
  const viaOpenSsh = await perRun(() => runProcess({ argv: ['ssh', ...sshArgs, '/bin/true'] }), Math.min(N, 200));
  add('exec=ssh (ssh2, reused connection)', viaSsh2, 'ms/cmd', viaOpenSsh);
  add('OpenSSH ssh with ControlMaster', viaOpenSsh, 'ms/cmd', viaOpenSsh);
  try {
    execFileSync('ssh', ['-O', 'exit', ...sshArgs], { stdio: 'ignore' });
  } catch {
    // master already gone
  }

  // 3. 100 MB of stdout
  const MB = 100;
  const big = ['head', `-c ${MB * 1024 * 1024} /dev/zero`];
  const timeIt = async (fn) => {
    const t0 = performance.now();
    const r = await fn();
    if (r.stdoutBytes !== MB * 1024 * 1024) throw new Error(`expected ${MB} MB, got ${r.stdoutBytes} bytes (${r.stderr})`);
    for (const f of [r.stdoutFile, r.stderrFile]) if (f) rmSync(f, { force: true });
    return (performance.now() - t0) / 1000;
  };
  const localBig = await timeIt(() => runProcess({ argv: ['head', '-c', String(MB * 1024 * 1024), '/dev/zero'] }));
  add(`${MB} MB stdout, local runProcess`, MB / localBig, 'MB/s');
  const tlsBig = await timeIt(() => tlsEx.execute(req(...big)));
  add(`${MB} MB stdout, agent mTLS`, MB / tlsBig, 'MB/s', MB / localBig);
  const tunBig = await timeIt(() => tunEx.execute(req(...big)));
  add(`${MB} MB stdout, agent via SSH tunnel`, MB / tunBig, 'MB/s', MB / localBig);

  await Promise.all([tlsEx.close(), tunEx.close(), sshEx.close()]);
} finally {
  if (tlsAgent) await stopAgent(tlsAgent);
  if (plainAgent) await stopAgent(plainAgent);
  await sshd.stop();
  rmSync(tmp, { recursive: true, force: true });
}

const w = Math.max(...rows.map((r) => r.name.length));
console.log(`bench/agent.mjs — N=${N} sequential tasks per row (after ${WARMUP} warm-up), node ${process.version}`);
console.log(`${'case'.padEnd(w)}  ${'value'.padStart(10)}  unit      ratio`);
for (const r of rows) {
  const overhead = r.unit === 'ms/task' && r.ratio ? `  (+${(r.value - rows[0].value).toFixed(2)} ms vs local)` : '';
  console.log(`${r.name.padEnd(w)}  ${r.value.toFixed(r.unit === 'MB/s' ? 0 : 2).padStart(10)}  ${r.unit.padEnd(8)}  ${r.ratio ? `${r.ratio.toFixed(2)}×` : ''}${overhead}`);
}
