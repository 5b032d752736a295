// Built bins: the agent and parallelr run as an operator runs them, with credentials in the URL.
/**
 * Credentials written in a NATS URL (`nats://user:pass@host:4222`, `nats://token@host`) are used to
 * connect and never shown: taken out of the URL before anything prints, logs or saves it
 * (shared/nats/connection.ts, takeUrlCredentials).
 */
import test from 'ava';
import { spawn } from 'node:child_process';
import { mkdirSync, mkdtempSync, readdirSync, readFileSync, statSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { natsSettingsFrom, takeUrlCredentials } from '../../shared/nats/connection.js';
import { SetupError } from '../../shared/errors/index.js';
import { startNatsServer } from '../helpers/nats-server.js';
import { ROOT, runParallelrBin, waitFor } from './fleet.js';

test('credentials are taken out of the URLs: user and password, URL-encoded, or a token; the URLs keep the rest', (t) => {
  t.deepEqual(takeUrlCredentials(['nats://ops:s3cret@nats1:4222']), { servers: ['nats://nats1:4222'], auth: { user: 'ops', pass: 's3cret' } });
  t.deepEqual(takeUrlCredentials(['tls://ops:p%40ss%3Aw%2Frd@nats1:4222/']), { servers: ['tls://nats1:4222/'], auth: { user: 'ops', pass: 'p@ss:w/rd' } });
  t.deepEqual(takeUrlCredentials(['nats://tok-123@nats1']), { servers: ['nats://nats1'], auth: { token: 'tok-123' } });
  t.deepEqual(takeUrlCredentials(['ops:pw@nats1:4222']), { servers: ['nats1:4222'], auth: { user: 'ops', pass: 'pw' } });
  t.deepEqual(takeUrlCredentials(['nats://a:b@n1:4222', 'nats://a:b@n2:4222']), { servers: ['nats://n1:4222', 'nats://n2:4222'], auth: { user: 'a', pass: 'b' } });
  t.deepEqual(takeUrlCredentials(['nats://n1:4222', 'nats://n2:4222']), { servers: ['nats://n1:4222', 'nats://n2:4222'] });
  const e = t.throws(() => takeUrlCredentials(['nats://a:b@n1', 'nats://a:c@n2']), { instanceOf: SetupError });
  t.is(e!.message, 'the NATS server URLs carry different credentials: write them in one form for all (or give nats.user/pass or nats.token)');
  t.false(e!.message.includes(':c@'), 'the refusal shows no credential');
});

test('settings: credentials in the URL win over the config\'s, from flags, the environment or the config alike', (t) => {
  const section = { url: 'nats://cfg:4222', user: 'u', pass: 'p' };
  t.deepEqual(natsSettingsFrom(section, {}, { url: 'nats://ops:pw@flag:4222' }), { servers: ['nats://flag:4222'], pool: 'default', ackWaitSec: 30, auth: { user: 'ops', pass: 'pw' } });
  t.deepEqual(natsSettingsFrom(section, { TASKER_NATS_URL: 'nats://tok@env:4222' }).auth, { token: 'tok' });
  t.deepEqual(natsSettingsFrom({ url: 'nats://a:b@cfg:4222', token: 'x', nkey_seed_file: '/k.nk' }).auth, { nkeySeedFile: '/k.nk', user: 'a', pass: 'b' });
  t.deepEqual(natsSettingsFrom(section).auth, { user: 'u', pass: 'p' });
});

/** Every file under `dir`, read. */
function allFiles(dir: string): { path: string; text: string }[] {
  const out: { path: string; text: string }[] = [];
  for (const name of readdirSync(dir)) {
    const path = join(dir, name);
    if (statSync(path).isDirectory()) out.push(...allFiles(path));
    else out.push({ path, text: readFileSync(path, 'latin1') });
  }
  return out;
}

test('an agent and a distributed run given nats://user:pass@host connect with them, and the password is nowhere: not on screen, in a log, a record or a state file', async (t) => {
  const PASSWORD = 'Pw-9f3kq2-secret';
  const dir = mkdtempSync(join(tmpdir(), 'tasker-url-creds-'));
  const conf = join(dir, 'server.conf');
  writeFileSync(conf, `authorization { users = [ { user: ops, password: "${PASSWORD}" } ] }\n`);
  const server = await startNatsServer({ args: ['-c', conf] });
  t.teardown(() => server.dispose());
  const url = server.url.replace('nats://', `nats://ops:${PASSWORD}@`);
  const home = join(dir, 'home');
  mkdirSync(home);
  const env = { ...process.env, HOME: home, PARALLELR_HOME: join(home, 'parallelr'), TMPDIR: dir };

  const agent = spawn(process.execPath, [join(ROOT, 'dist/agent/cli/tasker-agent.cjs'), 'serve', '--nats', url, '--pool', 'creds', '--max', '2'], { env, stdio: ['ignore', 'pipe', 'pipe'] });
  t.teardown(() => agent.kill('SIGKILL'));
  let agentOut = '';
  agent.stdout.on('data', (d: Buffer) => (agentOut += d));
  agent.stderr.on('data', (d: Buffer) => (agentOut += d));
  await waitFor(() => agentOut.includes('taking jobs from NATS') || agent.exitCode !== null);
  t.true(agentOut.includes('taking jobs from NATS'), agentOut);

  const tasks = join(dir, 'tasks');
  mkdirSync(tasks);
  for (const n of [1, 2, 3]) writeFileSync(join(tasks, `t${n}.txt`), `task=0\nhostname=localhost\ncommand=echo\narguments=hi ${n}\nexec=local\n`);
  const run = await runParallelrBin(['-T', tasks, '-C', 'tasker -r @TASK@', '-r', '--nats', url, '--pool', 'creds'], env);
  t.is(run.code, 0, run.out + run.err);
  t.regex(run.out, new RegExp(`via NATS ${server.url.replace(/[.]/g, '\\.')}, pool creds`), 'the URL is shown without its credentials');
  const wrong = await runParallelrBin(['-T', tasks, '-C', 'tasker -r @TASK@', '-r', '--nats', server.url.replace('nats://', 'nats://ops:Wrong-pw-77@'), '--pool', 'creds'], env);
  t.is(wrong.code, 1);
  t.is(wrong.err, `parallelr: NATS at ${server.url} refused our credentials (Authorization Violation); check nats.user/pass, token or nkey_seed_file\n`);

  agent.kill('SIGTERM');
  await new Promise((r) => agent.once('exit', r));
  const seen = [{ path: 'parallelr output', text: run.out + run.err + wrong.out + wrong.err }, { path: 'agent output', text: agentOut }, ...allFiles(home)];
  t.true(seen.length > 5, 'the run left its records to look at');
  t.deepEqual(seen.filter((f) => f.text.includes(PASSWORD) || f.text.includes('Wrong-pw-77')).map((f) => f.path), []);
});
