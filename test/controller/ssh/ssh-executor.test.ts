import test from 'ava';
import { writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import { createSshExecutor } from '../../../controller/executors/ssh-executor.js';
import type { ExecRequest } from '../../../shared/exec/executor.js';
import type { TaskExecutor } from '../../../shared/exec/executor.js';
import { startSshd, type TestSshd } from '../../helpers/sshd.js';
import { eventually, processesMatching, uniqueSleep } from '../../helpers/agent-process.js';

let sshd: TestSshd;
let ex: TaskExecutor;

const req = (command: string, args: string, extra: Partial<ExecRequest> = {}): ExecRequest => ({
  runId: 'run-ssh',
  taskId: '1',
  execType: 'ssh',
  hostname: `127.0.0.1:${sshd.port}`,
  command,
  arguments: args,
  timeoutMs: 60_000,
  ...extra,
});

test.before(async () => {
  sshd = await startSshd();
  ex = createSshExecutor({ user: sshd.user, identity: sshd.identity, knownHosts: sshd.knownHosts });
});

test.after.always(async () => {
  await ex?.close();
  await sshd?.stop();
});

test('runs command + arguments on the host, argv-exact, with exit code and both streams', async (t) => {
  const r = await ex.execute(req('sh', `-c 'echo "$1 $2"; echo err >&2; exit 7' x 'two words' '$HOME;*'`));
  t.is(r.exitCode, 7);
  t.is(r.stdout, 'two words $HOME;*\n');
  t.is(r.stderr, 'err\n');
  t.false(r.timedOut);
});

test('many commands, concurrently, over the pooled connection', async (t) => {
  const results = await Promise.all(Array.from({ length: 20 }, (_, i) => ex.execute(req('echo', `n${i}`))));
  t.deepEqual(results.map((r) => r.stdout), Array.from({ length: 20 }, (_, i) => `n${i}\n`));
  t.deepEqual(results.map((r) => [r.exitCode, r.stderr]), results.map(() => [0, '']));
});

test('live output arrives before the command ends', async (t) => {
  let done = false;
  const first: boolean[] = [];
  const r = await ex
    .execute(req('sh', `-c 'echo first; sleep 1; echo second'`, { onStdout: () => first.push(done) }))
    .then((x) => ((done = true), x));
  t.is(r.stdout, 'first\nsecond\n');
  t.false(first[0]);
});

test('a timeout kills the remote process group: no survivor', async (t) => {
  const s = uniqueSleep();
  const r = await ex.execute(req('sh', `-c 'sleep ${s} & sleep ${s}'`, { timeoutMs: 1000 }));
  t.is(r.exitCode, 124);
  t.true(r.timedOut);
  t.regex(r.stderr, /Process killed after timeout of 1 seconds/);
  await eventually(() => processesMatching(`sleep ${s}`).length === 0);
  t.deepEqual(processesMatching(`sleep ${s}`), []);
});

test('cancel kills the remote process group', async (t) => {
  const s = uniqueSleep();
  const abort = new AbortController();
  const r = await ex.execute(
    req('sh', `-c 'sleep ${s} & echo ready; sleep ${s}'`, { signal: abort.signal, onStdout: () => abort.abort('SIGINT') }),
  );
  t.true(r.canceled);
  t.is(r.exitCode, 130);
  await eventually(() => processesMatching(`sleep ${s}`).length === 0);
  t.deepEqual(processesMatching(`sleep ${s}`), []);
});

test('a cancel that comes while the connection is being made still kills the command, once it starts', async (t) => {
  // A fresh executor: its first command has to connect first.
  const fresh = createSshExecutor({ user: sshd.user, identity: sshd.identity, knownHosts: sshd.knownHosts });
  t.teardown(() => fresh.close());
  const s = uniqueSleep();
  const abort = new AbortController();
  const running = fresh.execute(req('sh', `-c 'sleep ${s} & sleep ${s}'`, { signal: abort.signal }));
  abort.abort('SIGTERM'); // execute() is connecting now
  const r = await running;
  t.true(r.canceled);
  t.is(r.exitCode, 143);
  await eventually(() => processesMatching(`sleep ${s}`).length === 0);
  t.deepEqual(processesMatching(`sleep ${s}`), []);
});

test('a missing program gives 127 from the remote side', async (t) => {
  const r = await ex.execute(req('no-such-program-xyz', ''));
  t.is(r.exitCode, 127);
  t.regex(r.stderr, /no-such-program-xyz/);
});

test('strict host key checking: an unknown or changed host key is refused', async (t) => {
  const wrong = join(sshd.dir, 'wrong_known_hosts');
  await writeFile(wrong, `[127.0.0.1]:${sshd.port} ssh-ed25519 AAAAC3NzaC1lZDI1NTE5AAAAIDk6kqwgZ2qDqC3m1Wq8lCmXx0X1m4GZqyO2WkZQ3Kc0\n`);
  const bad = createSshExecutor({ user: sshd.user, identity: sshd.identity, knownHosts: wrong });
  const empty = join(sshd.dir, 'empty_known_hosts');
  await writeFile(empty, '');
  const unknown = createSshExecutor({ user: sshd.user, identity: sshd.identity, knownHosts: empty });
  try {
    const r1 = await bad.execute(req('echo', 'x'));
    t.is(r1.exitCode, 255);
    t.regex(r1.stderr, /HOST KEY MISMATCH/);
    const r2 = await unknown.execute(req('echo', 'x'));
    t.is(r2.exitCode, 255);
    t.regex(r2.stderr, /is not in .*empty_known_hosts/);
  } finally {
    await bad.close();
    await unknown.close();
  }
});

test('a refused key is reported as an authentication failure', async (t) => {
  const other = createSshExecutor({ user: sshd.user, identity: join(sshd.dir, 'host_ed25519'), knownHosts: sshd.knownHosts });
  try {
    const r = await other.execute(req('echo', 'x'));
    t.is(r.exitCode, 255);
    t.regex(r.stderr, /authentication failed/);
  } finally {
    await other.close();
  }
});
