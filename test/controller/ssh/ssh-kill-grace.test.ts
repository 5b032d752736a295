/**
 * A second Ctrl-C ends the kill grace of a remote command too (shared/kill-grace.ts): its process
 * group on the host gets SIGKILL at once. A file of its own: the hurry is process-wide, as the
 * operator's signal is, and would take every later grace of this worker process away.
 */
import test from 'ava';
import { createSshExecutor } from '../../../controller/executors/ssh-executor.js';
import { endKillGraces } from '../../../shared/kill-grace.js';
import { startSshd, type TestSshd } from '../../helpers/sshd.js';
import { eventually, processesMatching, uniqueSleep } from '../../helpers/agent-process.js';

let sshd: TestSshd;
test.before(async () => {
  sshd = await startSshd();
});
test.after.always(async () => {
  await sshd?.stop();
});

test('a remote group that ignores SIGTERM waits out its grace until the operator hurries: then it is SIGKILLed at once', async (t) => {
  // A grace far longer than the test may take: only the hurry can end it.
  const ex = createSshExecutor({ user: sshd.user, identity: sshd.identity, knownHosts: sshd.knownHosts, killGraceMs: 120_000 });
  t.teardown(() => ex.close());
  const s = uniqueSleep();
  const abort = new AbortController();
  const running = ex.execute({
    runId: 'run-ssh-grace', taskId: '1', execType: 'ssh', hostname: `127.0.0.1:${sshd.port}`, timeoutMs: 0, signal: abort.signal,
    // SIGTERM ignored by the shell and (inherited) by its child: only SIGKILL ends the group.
    command: 'sh', arguments: `-c 'trap "" TERM; sleep ${s} & echo ready; wait'`,
    onStdout: () => abort.abort('SIGINT'),
  });
  let settled = false;
  void running.then(() => (settled = true));
  await eventually(() => processesMatching(`sleep ${s}`).length > 0);
  await new Promise((r) => setTimeout(r, 1500));
  t.false(settled, 'SIGTERM ignored: the command is still in its grace');
  t.not(processesMatching(`sleep ${s}`).length, 0, 'the group still runs');

  endKillGraces();
  const r = await Promise.race([running, new Promise<string>((res) => setTimeout(() => res('still in its grace 30 s after the hurry'), 30_000))]);
  if (typeof r === 'string') return t.fail(r);
  t.true(r.canceled);
  t.is(r.exitCode, 130);
  await eventually(() => processesMatching(`sleep ${s}`).length === 0);
  t.deepEqual(processesMatching(`sleep ${s}`), []);
});
