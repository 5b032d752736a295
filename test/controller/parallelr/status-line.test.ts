import test from 'ava';
import { EventEmitter } from 'node:events';
import { createFleetProgress } from '../../../controller/nats/fleet-progress.js';
import { createProgressReporter } from '../../../controller/parallelr/progress.js';
import type { TaskEntry, TaskRecord } from '../../../controller/parallelr/types.js';

const entry = (index: number): TaskEntry => ({ index, taskFile: `t${index}`, taskPath: `/t${index}`, arguments: [], envVars: {} });
const rec = (index: number, status: TaskRecord['status'], agent: string | null = null): TaskRecord => ({
  session_id: 's', task_file: `t${index}`, arguments: [], command: `run /t${index}`, status, exit_code: status === 'SUCCESS' ? 0 : 1,
  start_time: '2026-01-01T00:00:00.000Z', end_time: '2026-01-01T00:00:01.000Z', duration_seconds: 1, worker: 1, agent, error_message: '',
});

/** A fake terminal stream: records what is written, has `columns`, emits 'resize' like a tty.WriteStream. */
class FakeTerminal extends EventEmitter {
  text = '';
  constructor(public columns: number) {
    super();
  }
  write(s: string) {
    this.text += s;
    return true;
  }
  /** Every line state drawn: the text between `\r\x1b[2K` redraws and newlines. */
  lines(): string[] {
    return this.text.split(/\r\x1b\[2K|\n/).filter(Boolean);
  }
  resize(columns: number) {
    this.columns = columns;
    this.emit('resize');
  }
}

const settle = () => new Promise((r) => setTimeout(r, 400));

test('local bar: never wider than the terminal minus one column, even with big counts', async (t) => {
  const term = new FakeTerminal(80);
  const p = createProgressReporter({ total: 123456, tty: true, stdout: { write: () => true }, stderr: term });
  for (let i = 1; i <= 1000; i++) p.started(entry(i), i, `run /t${i}`);
  for (let i = 1; i <= 400; i++) p.finished(rec(i, i % 3 ? 'SUCCESS' : 'FAILED'), i);
  p.note('a warning');
  p.done();
  t.true(term.lines().length > 2);
  for (const l of term.lines()) t.true(l.length <= 79, `${l.length} columns: ${l}`);
  t.regex(term.lines().at(-1)!, /400\/123456 ok 267 failed 133 running 600 /);
});

test('the counts catch up after a burst: 4 started quickly are shown as running 4', async (t) => {
  const term = new FakeTerminal(80);
  const p = createProgressReporter({ total: 10, tty: true, stdout: { write: () => true }, stderr: term });
  for (let i = 1; i <= 4; i++) p.started(entry(i), i, `run /t${i}`);
  await settle();
  t.regex(term.lines().at(-1)!, /0\/10 ok 0 failed 0 running 4 /);
  p.done();
});

test('a resize redraws at the new width', async (t) => {
  const term = new FakeTerminal(100);
  const p = createProgressReporter({ total: 10, tty: true, stdout: { write: () => true }, stderr: term });
  p.started(entry(1), 1, 'run /t1');
  const before = term.lines().at(-1)!;
  term.resize(40);
  const after = term.lines().at(-1)!;
  t.true(before.length > 40);
  t.true(after.length <= 39, after);
  t.true(after.endsWith('…') || after.length <= 39);
  p.done();
  t.is(term.listenerCount('resize'), 0, 'done() stops following resizes');
});

test('fleet line: same format, agents as the tail, cut to the width; running counts every agent', async (t) => {
  const term = new FakeTerminal(80);
  const p = createFleetProgress({ total: 50, tty: true, stdout: { write: () => true }, stderr: term });
  const names = Array.from({ length: 30 }, (_, i) => `host-${i}`);
  names.forEach((n, i) => p.started(i + 1, n));
  p.finished(rec(1, 'SUCCESS', names[0]!), 1);
  await settle();
  const last = term.lines().at(-1)!;
  t.regex(last, /^1\/50 ok 1 failed 0 running 29 .*\| ETA \S+ \| agents: host-0: 1 done, 0 /);
  t.true(last.endsWith('…'));
  p.done();
  for (const l of term.lines()) t.true(l.length <= 79, `${l.length} columns: ${l}`);
});

test('after done(), a note goes below the final line and the bar is not drawn again', (t) => {
  const term = new FakeTerminal(80);
  const p = createProgressReporter({ total: 1, tty: true, stdout: { write: () => true }, stderr: term });
  p.started(entry(1), 1, 'run /t1');
  p.finished(rec(1, 'SUCCESS'), 1);
  p.done();
  const before = term.text;
  p.note('late line');
  term.resize(60);
  t.is(term.text, `${before}late line\n`);
});
