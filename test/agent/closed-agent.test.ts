/**
 * Who can reach an agent (issue 13, item 8): plaintext TCP only with --insecure-loopback (which
 * warns), a Unix socket closed to other users, and a bad --listen as a usage error. Real
 * `tasker-agent serve` processes.
 */
import test from 'ava';
import { execFileSync } from 'node:child_process';
import { chmodSync, chownSync, existsSync, mkdirSync, statSync, writeFileSync } from 'node:fs';
import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { createAgentExecutor } from '../../controller/executors/agent-executor.js';
import { plainSpec, runAgentCli, startAgent, type AgentProcess } from '../helpers/agent-process.js';

const dirs: string[] = [];
const agents: AgentProcess[] = [];
test.after.always(async () => {
  for (const a of agents) await a.stop();
  for (const d of dirs) await rm(d, { recursive: true, force: true });
});

async function newDir(): Promise<string> {
  const d = await mkdtemp(join(tmpdir(), 'tasker-closed-agent-'));
  dirs.push(d);
  return d;
}

/** Exit 2, the message, the usage line, and no stack trace. */
const usageError = test.macro(async (t, listen: string, message: RegExp) => {
  const r = await runAgentCli(['serve', '--listen', listen]);
  t.is(r.code, 2, r.stderr);
  t.regex(r.stderr, message);
  t.regex(r.stderr, /usage: tasker-agent serve --listen unix:PATH\|HOST:PORT/);
  t.notRegex(r.stderr, /\n\s+at /, 'no stack trace');
});
test('--listen :50994 (no host) is a usage error naming the value', usageError, ':50994', /--listen must be HOST:PORT .* or unix:PATH .*, got `:50994` \(the host is missing: 127\.0\.0\.1:50994 for loopback/);
test('--listen with port 99999 is a usage error naming the port', usageError, '127.0.0.1:99999', /--listen port must be 0-65535, got `99999` in `127\.0\.0\.1:99999`/);
test('--listen garbage is a usage error naming the value', usageError, 'garbage', /--listen must be HOST:PORT .*, got `garbage`/);
test('--listen unix: without a path is a usage error', usageError, 'unix:', /--listen unix:PATH needs a socket path, got `unix:`/);
test('--listen unix: with a path longer than sun_path is a usage error', usageError, `unix:/tmp/${'x'.repeat(120)}/a.sock`, /socket path \/tmp\/x+\/a\.sock is 132 bytes long; Unix sockets allow at most 107/);

test('agent.listen from --config names the config when it is bad', async (t) => {
  const dir = await newDir();
  const cfg = join(dir, 'agent.yaml');
  writeFileSync(cfg, 'agent:\n  listen: ":50994"\n');
  const r = await runAgentCli(['serve', '--config', cfg]);
  t.is(r.code, 2);
  t.regex(r.stderr, new RegExp(`agent\\.listen in ${cfg} must be HOST:PORT`));
});

test('plaintext TCP on loopback is refused without --insecure-loopback (exit 2, says what to do)', async (t) => {
  const r = await runAgentCli(['serve', '--listen', '127.0.0.1:0']);
  t.is(r.code, 2);
  t.regex(r.stderr, /refusing plaintext TCP on 127\.0\.0\.1:0: every local user could connect and run tasks as this agent's user\. Listen on unix:PATH/);
  t.regex(r.stderr, /--insecure-loopback/);
  t.notRegex(r.stderr, /\n\s+at /);
});

test('--insecure-loopback serves plaintext on loopback and warns at start; it is refused with a Unix socket', async (t) => {
  const a = await startAgent(['--listen', '127.0.0.1:0', '--insecure-loopback']);
  agents.push(a);
  t.regex(a.log(), /warning: plaintext gRPC on 127\.0\.0\.1:\d+ \(--insecure-loopback\): every local user can connect and run tasks as this agent's user/);
  const ex = createAgentExecutor(plainSpec(a));
  try {
    t.is((await ex.execute({ runId: 'r', taskId: '1', execType: 'local', hostname: 'localhost', command: 'echo', arguments: 'tcp', timeoutMs: 10_000 })).stdout, 'tcp\n');
  } finally {
    await ex.close();
  }
  const dir = await newDir();
  const r = await runAgentCli(['serve', '--listen', `unix:${join(dir, 'a.sock')}`, '--insecure-loopback']);
  t.is(r.code, 2);
  t.regex(r.stderr, /--insecure-loopback \(agent\.insecure_loopback\) only applies to --listen on a loopback HOST:PORT/);
});

test('a Unix-socket agent: socket 0600 in a 0700 directory (created when missing), runs tasks, removes its socket on exit', async (t) => {
  const dir = await newDir();
  const sockDir = join(dir, 'run');
  const path = join(sockDir, 'agent.sock');
  const a = await startAgent(['--listen', `unix:${path}`]);
  t.is(a.address, `unix:${path}`);
  t.is(statSync(sockDir).mode & 0o777, 0o700);
  t.true(statSync(path).isSocket());
  t.is(statSync(path).mode & 0o777, 0o600);
  const ex = createAgentExecutor(plainSpec(a));
  try {
    const r = await ex.execute({ runId: 'r', taskId: '1', execType: 'local', hostname: 'localhost', command: 'echo', arguments: 'over unix', timeoutMs: 10_000 });
    t.is(r.stdout, 'over unix\n');
  } finally {
    await ex.close();
  }
  t.is(await a.stop(), 0);
  t.false(existsSync(path), 'the socket file is removed at shutdown');
});

/** The agent refuses to start on `path` (exit 2) with `message`. */
async function refuses(t: import('ava').ExecutionContext, path: string, message: RegExp): Promise<void> {
  const r = await runAgentCli(['serve', '--listen', `unix:${path}`]);
  t.is(r.code, 2, r.stderr);
  t.regex(r.stderr, message);
  t.notRegex(r.stderr, /\n\s+at /);
}

test('a socket directory that group or others can enter is refused', async (t) => {
  const dir = await newDir();
  for (const mode of [0o750, 0o755, 0o701]) {
    chmodSync(dir, mode);
    await refuses(t, join(dir, 'a.sock'), new RegExp(`socket directory ${dir} is mode 0${mode.toString(8)}: other users could reach the agent; \`chmod 700 ${dir}\``));
  }
});

test('a socket directory owned by another user is refused', async (t) => {
  if (process.getuid?.() !== 0) return t.fail('needs root to chown the directory to another user (run the tests as root; CI does)');
  const dir = await newDir();
  const sockDir = join(dir, 'theirs');
  mkdirSync(sockDir, { mode: 0o700 });
  chownSync(sockDir, 65534, 65534);
  await refuses(t, join(sockDir, 'a.sock'), new RegExp(`socket directory ${sockDir} belongs to uid 65534, not to the agent's user \\(uid 0\\)`));
});

test('a stale socket is replaced; a live one or a plain file is refused', async (t) => {
  const dir = await newDir();
  const path = join(dir, 'agent.sock');
  // A socket file nobody listens on, as an agent killed with SIGKILL leaves it.
  execFileSync('python3', ['-c', 'import socket,sys; socket.socket(socket.AF_UNIX).bind(sys.argv[1])', path]);
  t.true(statSync(path).isSocket());
  const a = await startAgent(['--listen', `unix:${path}`]);
  agents.push(a);
  await refuses(t, path, /another process is listening on .*agent\.sock \(is an agent already running\?\)/);
  const file = join(dir, 'not-a-socket');
  writeFileSync(file, 'x');
  await refuses(t, file, /not-a-socket exists and is not a socket; remove it or choose another path/);
});

test('TLS options with a Unix socket are a usage error (controllers reach a socket without TLS)', async (t) => {
  const dir = await newDir();
  const r = await runAgentCli(['serve', '--listen', `unix:${join(dir, 'a.sock')}`, '--tls-ca', '/etc/hostname', '--tls-cert', '/etc/hostname', '--tls-key', '/etc/hostname']);
  t.is(r.code, 2);
  t.regex(r.stderr, /--tls-\* go with --listen HOST:PORT; a Unix socket \(unix:.*a\.sock\) is closed to other users by its permissions/);
});
