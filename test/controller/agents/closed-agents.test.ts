// Built bin: one test runs tasker as another user (setpriv); the rest run in-process.
/**
 * Closed agents from the controller's side (issue 13, item 8): a local user other than the agent's
 * cannot use its Unix socket, and `tasker` says so clearly; the config's agents sections are
 * checked whether or not the run uses an agent.
 */
import test from 'ava';
import { spawn } from 'node:child_process';
import { chmodSync, chownSync, mkdirSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { ROOT, tempDir } from '../../helpers/run-cli.js';
import { runTaskerInProcess } from '../../helpers/tasker.js';
import { freshSocket, startAgent, type AgentProcess } from '../../helpers/agent-process.js';

const TASKER_CJS = join(ROOT, 'dist', 'controller', 'cli', 'tasker.cjs');
let agent: AgentProcess;

test.before(async () => {
  agent = await startAgent(['--listen', await freshSocket()]);
});
test.after.always(async () => {
  await agent?.stop();
});

/** Run the built tasker as `uid` (setpriv), in `cwd`; stdout and stderr together. */
function runAs(uid: number, args: string[], cwd: string): Promise<{ code: number | null; out: string }> {
  const argv = uid === 0 ? [process.execPath, TASKER_CJS, ...args] : ['setpriv', `--reuid=${uid}`, `--regid=${uid}`, '--clear-groups', process.execPath, TASKER_CJS, ...args];
  return new Promise((resolve, reject) => {
    const child = spawn(argv[0]!, argv.slice(1), { cwd, env: { PATH: process.env['PATH'], HOME: cwd }, stdio: ['ignore', 'pipe', 'pipe'] });
    let out = '';
    child.stdout.on('data', (d: Buffer) => (out += d.toString()));
    child.stderr.on('data', (d: Buffer) => (out += d.toString()));
    child.once('error', reject);
    child.once('close', (code) => resolve({ code, out }));
  });
}

test('another local user (nobody) cannot run tasks on a root agent\'s Unix socket: refused before any task, no stack trace', async (t) => {
  if (process.getuid?.() !== 0) return t.fail('needs root: the agent runs as root and the controller as nobody (setpriv); run the tests as root (CI does)');
  const dir = tempDir('tasker-closed-');
  chmodSync(dir, 0o755);
  writeFileSync(join(dir, 'whoami.txt'), 'task=0\nhostname=localhost\nexec=local\ncommand=whoami\n');
  mkdirSync(join(dir, 'logs'));
  chownSync(join(dir, 'logs'), 65534, 65534);
  const args = ['-r', '--agent', agent.address, '-l', join(dir, 'logs'), 'whoami.txt'];

  const nobody = await runAs(65534, args, dir);
  t.is(nobody.code, 21, nobody.out);
  const path = agent.address.slice('unix:'.length);
  t.true(nobody.out.includes(`permission denied on ${path}: the agent's socket is open only to the agent's user (and root)`), nobody.out);
  t.notRegex(nobody.out, /Executing|STDOUT/, 'no task ran');
  t.notRegex(nobody.out, /\n\s+at /, 'no stack trace');

  // The agent's own user (root here) does run it: the refusal above is the socket's permissions.
  const owner = await runAs(0, args, dir);
  t.is(owner.code, 0, owner.out);
  t.regex(owner.out, /Task 0: STDOUT: root$/m);
});

test('tasker --agent unix:PATH with no agent there names the socket (exit 21)', async (t) => {
  const dir = tempDir('tasker-closed-');
  writeFileSync(join(dir, 'f.txt'), 'task=0\nhostname=localhost\nexec=local\ncommand=true\n');
  const r = await runTaskerInProcess(['-r', '--agent', `unix:${join(dir, 'none.sock')}`, '-l', join(dir, 'logs'), 'f.txt'], { cwd: dir });
  t.is(r.code, 21);
  t.true((r.stdout + r.stderr).includes(`no agent socket at ${join(dir, 'none.sock')} (is the agent running with --listen unix:${join(dir, 'none.sock')}?)`), r.stdout + r.stderr);
});

/** A config whose agents section is wrong; the run itself never needs an agent. */
const configError = test.macro(async (t, yaml: string, expected: RegExp, withAgent: boolean) => {
  const dir = tempDir('tasker-closed-');
  writeFileSync(join(dir, 'tasker.yaml'), yaml);
  writeFileSync(join(dir, 'f.txt'), 'task=0\nhostname=localhost\nexec=local\ncommand=touch\narguments=ran.flag\n');
  const r = await runTaskerInProcess(['-r', '--config', 'tasker.yaml', '-l', join(dir, 'logs'), ...(withAgent ? ['--agent', 'jump1'] : []), 'f.txt'], { cwd: dir });
  t.is(r.code, 20, r.stdout + r.stderr);
  t.regex(r.stderr, expected);
  t.regex(r.stderr, /the config file has errors; nothing was run/);
  t.notRegex(r.stderr, /no agents: section/);
});
const tlsWithoutCert = 'agents:\n  jump1:\n    address: jump1.example.com:50051\n    tls:\n      ca: ca.crt\n';
test('an agent tls without cert/key is a config error (exit 20) naming the key, unused', configError, tlsWithoutCert, /tasker\.yaml:4:5: error\[CONFIG_INVALID\] agents\.jump1\.tls\.cert is required[\s\S]*agents\.jump1\.tls\.key is required/, false);
test('an agent tls without cert/key is a config error (exit 20) naming the key, used', configError, tlsWithoutCert, /agents\.jump1\.tls\.cert is required/, true);
test('an agent address that is neither HOST:PORT nor unix:PATH is a config error', configError, 'agents:\n  jump1: {address: "nope"}\n', /tasker\.yaml:2:11: error\[CONFIG_INVALID\] agents\.jump1\.address must be HOST:PORT or unix:PATH, got `nope`/, false);
test('tls with a unix: address is a config error naming the key', configError, 'agents:\n  jump1:\n    address: unix:/run/a.sock\n    tls: {ca: a, cert: b, key: c}\n', /agents\.jump1\.tls is not used with a Unix socket/, false);
