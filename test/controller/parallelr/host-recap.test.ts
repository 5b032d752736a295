/**
 * parallelr's host recap across files (issue 15 item 4): task files run by the in-process engine
 * add up their per-host counts; a NATS run, which records one result per file, recaps per agent.
 */
import test from 'ava';
import { run } from '../../../controller/parallelr/cli.js';
import { formatRecapSection, tallyRecordsByAgent } from '../../../controller/parallelr/host-recap.js';
import type { TaskRecord } from '../../../controller/parallelr/types.js';
import { fakeIo, makeSandbox, writeFiles } from './helpers.js';

const task = (id: number, host: string, command: string, ...extra: string[]) =>
  [`task=${id}`, `hostname=${host}`, `command=${command}`, 'exec=local', ...extra, ''].join('\n');

test('the summary recaps every host across the task files run in-process', async (t) => {
  const sb = makeSandbox();
  writeFiles(sb.tasks, {
    'a.txt': task(0, 'web01', 'true') + '\n' + task(1, 'web02', 'false'),
    'b.txt': 'task=0\ntype=parallel\nhostnames=web01,web03\ncommand=true\nexec=local\n',
    'c.txt': task(0, 'web04', 'true') + '\n' + task(1, 'web02', 'true', 'condition=@0_exit@=1'),
  });
  const io = fakeIo(sb);
  const code = await run(['-T', 'tasks', '-C', 'tasker -r @TASK@', '-r', '-m', '2'], io);
  t.is(code, 1, io.out() + io.err());
  const out = io.out();
  const at = out.indexOf('Host Recap:');
  t.true(at >= 0, out);
  const section = out.slice(at).split('\n\n')[0]!.split('\n');
  t.deepEqual(section, [
    'Host Recap:',
    '- web01 : ok=2 failed=0 skipped=0 timed_out=0 unreachable=0 ran_on=local',
    '- web02 : ok=0 failed=1 skipped=1 timed_out=0 unreachable=0 ran_on=local',
    '- web03 : ok=1 failed=0 skipped=0 timed_out=0 unreachable=0 ran_on=local',
    '- web04 : ok=1 failed=0 skipped=0 timed_out=0 unreachable=0 ran_on=local',
  ]);
});

test('a command other than tasker reports no hosts: no recap', async (t) => {
  const sb = makeSandbox();
  writeFiles(sb.tasks, { 'a.txt': task(0, 'web01', 'true'), 'b.txt': task(0, 'web02', 'true') });
  const io = fakeIo(sb);
  const code = await run(['-T', 'tasks', '-C', 'cat @TASK@', '-r', '-m', '2'], io);
  t.is(code, 0, io.out() + io.err());
  t.notRegex(io.out(), /Host Recap/);
});

test('a distributed run recaps per agent: each file counts for the agent that ran it', (t) => {
  const rec = (agent: string | null, status: TaskRecord['status']): TaskRecord => ({
    session_id: 's', task_file: 'f.txt', arguments: [], command: 'tasker -r f.txt', status, exit_code: status === 'SUCCESS' ? 0 : 1,
    start_time: null, end_time: null, duration_seconds: 0, worker: 1, agent, error_message: '',
  });
  const tallies = tallyRecordsByAgent([rec('a1', 'SUCCESS'), rec('a1', 'FAILED'), rec('a2', 'TIMEOUT'), rec('a2', 'ERROR'), rec('a2', 'CANCELLED'), rec(null, 'CANCELLED')]);
  t.deepEqual(formatRecapSection({ tallies, note: 'per agent' }), [
    'Host Recap:',
    '(per agent)',
    '- a1 : ok=1 failed=1 skipped=0 timed_out=0 unreachable=0 ran_on=nats',
    '- a2 : ok=0 failed=1 skipped=1 timed_out=1 unreachable=0 ran_on=nats',
    '',
  ]);
});
