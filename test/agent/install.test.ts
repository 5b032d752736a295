import test from 'ava';
import { execFileSync } from 'node:child_process';
import { existsSync, readFileSync } from 'node:fs';
import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { createAgentExecutor } from '../../controller/agents/index.js';
import { freePort, startSshd, type TestSshd } from '../helpers/sshd.js';
import { runAgentCli } from './agent-process.js';

const root = join(import.meta.dirname, '..', '..');
let sshd: TestSshd;
let prefix: string;
const pidsToStop: number[] = [];

test.before(async () => {
  // The installer ships dist/: build it when a plain `ava` run has none (npm test builds first).
  if (!existsSync(join(root, 'dist', 'agent', 'cli', 'tasker-agent.js'))) {
    try {
      execFileSync(process.execPath, [join(root, 'node_modules', 'typescript', 'bin', 'tsc'), '-p', join(root, 'tsconfig.json')], { stdio: 'ignore' });
    } catch {
      // type errors elsewhere still emit; the existence check below decides
    }
  }
  sshd = await startSshd();
  prefix = await mkdtemp(join(tmpdir(), 'tasker-install-'));
});

test.after.always(async () => {
  for (const pid of pidsToStop) {
    try {
      process.kill(pid, 'SIGTERM');
    } catch {
      // already gone
    }
  }
  await sshd?.stop();
  if (prefix) await rm(prefix, { recursive: true, force: true });
});

test('install over SSH places the package, writes config, starts the agent (nohup without systemd) and it answers', async (t) => {
  t.true(existsSync(join(root, 'dist', 'agent', 'cli', 'tasker-agent.js')), 'dist/ must be built');
  const port = await freePort();
  const r = await runAgentCli([
    'install', '--ssh', `${sshd.user}@127.0.0.1`, '--port', String(sshd.port), '--identity', sshd.identity,
    '--known-hosts', sshd.knownHosts, '--listen-port', String(port), '--prefix', prefix,
  ]);
  const pidfile = join(prefix, 'run', 'agent.pid');
  if (existsSync(pidfile)) pidsToStop.push(Number(readFileSync(pidfile, 'utf8')));
  t.is(r.code, 0, r.stderr);
  t.regex(r.stdout, /no systemd on this host; starting the agent with setsid nohup/);
  t.regex(r.stdout, /healthy \(SERVING\), version 0\.1\.0/);
  t.true(existsSync(join(prefix, 'app', 'dist', 'agent', 'cli', 'tasker-agent.js')));
  t.true(existsSync(join(prefix, 'app', 'node_modules', '@grpc', 'grpc-js', 'package.json')));
  t.false(existsSync(join(prefix, 'app', 'node_modules', 'typescript')), 'dev dependencies are not shipped');
  t.is(readFileSync(join(prefix, 'etc', 'agent.yaml'), 'utf8'), `agent:\n  listen: "127.0.0.1:${port}"\n`);

  // The installed agent runs tasks through the tunnel like any configured agent.
  const ex = createAgentExecutor({
    name: 'installed',
    kind: 'ssh',
    ssh: { host: '127.0.0.1', port: sshd.port, user: sshd.user, identity: sshd.identity, knownHosts: sshd.knownHosts },
    port,
  });
  try {
    const res = await ex.execute({
      runId: 'install', taskId: '1', execType: 'local', hostname: 'localhost', command: 'echo', arguments: 'installed ok', timeoutMs: 10_000,
    });
    t.is(res.stdout, 'installed ok\n');
    t.is(res.exitCode, 0);
  } finally {
    await ex.close();
  }
});

test('install reports a usage error naming the flag', async (t) => {
  const r = await runAgentCli(['install', '--port', '22']);
  t.is(r.code, 2);
  t.regex(r.stderr, /--ssh USER@HOST is required\nusage: tasker-agent install --ssh/);
});
