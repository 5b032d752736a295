import test from 'ava';
import { createFleetProgress } from '../../../controller/nats/fleet-progress.js';
import type { TaskRecord } from '../../../controller/parallelr/types.js';

const rec = (agent: string, status: TaskRecord['status']): TaskRecord => ({
  session_id: 'r', task_file: 'a.txt', arguments: [], command: 'tasker', status, exit_code: status === 'SUCCESS' ? 0 : 10,
  start_time: '2026-01-01T00:00:00.000Z', end_time: '2026-01-01T00:00:01.000Z', duration_seconds: 1, worker: 1, agent, error_message: '',
});

test('the live line shows the run\'s counts and ETA and, per agent, done, failed and running', (t) => {
  let screen = '';
  const stderr = { write: (s: string) => (screen += s), columns: 300 };
  const p = createFleetProgress({ total: 10, tty: true, stdout: { write: () => undefined }, stderr });
  p.started(1, 'a1');
  p.started(2, 'a1');
  p.started(3, 'a2');
  p.finished(rec('a1', 'SUCCESS'), 1);
  p.finished(rec('a1', 'FAILED'), 2);
  p.started(4, 'a1');
  p.finished(rec('a2', 'SUCCESS'), 3);
  p.done();
  const last = screen.split('\r\x1b[2K').filter(Boolean).at(-1) ?? '';
  t.regex(last, /3\/10 ok 2 failed 1 running 1 \| [\d.]+\/s \| ETA \S+ \| agents: a1: 2 done, 1 failed, 1 running; a2: 1 done, 0 failed, 0 running/);
});

test('a job claimed again by another agent (the first was lost) runs there on the live line', (t) => {
  let screen = '';
  const stderr = { write: (s: string) => (screen += s), columns: 300 };
  const p = createFleetProgress({ total: 2, tty: true, stdout: { write: () => undefined }, stderr });
  p.started(1, 'a1');
  p.started(2, 'a1');
  p.started(1, 'a1'); // the same claim read twice: no change
  p.started(2, 'a2'); // a1 was lost; a2 claimed job 2 again
  p.finished(rec('a1', 'SUCCESS'), 1);
  p.done();
  t.deepEqual([...p.agents].map(([n, s]) => `${n} ${s.running}`), ['a1 0', 'a2 1']);
  const last = screen.split('\r\x1b[2K').filter(Boolean).at(-1) ?? '';
  t.regex(last, /1\/2 ok 1 failed 0 running 1 .*agents: a1: 1 done, 0 failed, 0 running; a2: 0 done, 0 failed, 1 running/);
});
