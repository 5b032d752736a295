/**
 * An inventory host on a task sent to a real tasker-agent: the agent checks the host at its
 * ansible_host (the name itself does not resolve) and runs the privilege wrapper against it.
 */
import test from 'ava';
import { writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { FIXTURE_BIN, tempDir } from '../../helpers/run-cli.js';
import { runTaskerInProcess } from '../../helpers/tasker.js';
import { agentLogMatching, freshSocket, startAgent, type AgentProcess } from '../../helpers/agent-process.js';

let agent: AgentProcess;

test.before(async () => {
  // The agent runs pbrun from its own PATH: the fixture stand-in.
  process.env['PATH'] = `${FIXTURE_BIN}:${process.env['PATH']}`;
  agent = await startAgent(['--listen', await freshSocket()]);
});

test.after.always(async () => {
  await agent?.stop();
});

test('a task for an inventory host goes to the agent with the host\'s ansible_host; the agent validates that address', async (t) => {
  const dir = tempDir('tasker-inventory-agent-');
  writeFileSync(join(dir, 'hosts.ini'), '[app]\napp-one.invalid ansible_host=127.0.0.1 marker=on-agent\n');
  writeFileSync(join(dir, 'wf.txt'), 'task=0\nhostname=app-one.invalid\nexec=pbrun\ncommand=echo\narguments=ran\n');
  const r = await runTaskerInProcess(['-r', '-c', 'wf.txt', '-i', 'hosts.ini', '--agent', agent.address, '-l', join(dir, 'logs')], { cwd: dir });
  t.is(r.code, 0, r.stdout + r.stderr);
  t.true(r.stdout.includes(`Task 0: Executing [pbrun] on app-one.invalid via ${agent.address}: pbrun -n -h 127.0.0.1 echo ran`), r.stdout);
  t.regex(r.stdout, /Task 0: STDOUT: ran/);
  const ran = /"message":"execute done","outcome":"exit 0"[^\n]*"taskId":"0"/;
  t.regex(await agentLogMatching(agent, ran), ran, 'the task ran on the agent');

  // Without the inventory the agent checks the name as written, which does not resolve: exit 21.
  const plain = await runTaskerInProcess(['-r', 'wf.txt', '--agent', agent.address, '-l', join(dir, 'logs')], { cwd: dir });
  t.is(plain.code, 21, plain.stdout);
  t.regex(plain.stdout, /host app-one\.invalid \(via agent/);

  // An inventory host whose address does not resolve either: the error names the host and its address.
  writeFileSync(join(dir, 'bad.ini'), '[app]\napp-one.invalid ansible_host=nowhere.invalid\n');
  const bad = await runTaskerInProcess(['-r', 'wf.txt', '-i', 'bad.ini', '--agent', agent.address, '-l', join(dir, 'logs')], { cwd: dir });
  t.is(bad.code, 21, bad.stdout);
  t.regex(bad.stdout, /host app-one\.invalid at nowhere\.invalid \(via agent/);
});
