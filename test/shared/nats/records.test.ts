import test from 'ava';
import { parseResult, parseShippedRecords, type ShippedRecords } from '../../../shared/nats/index.js';

const file = (path: string) => ({ path, size: 10, shipped: 10, capped: false });

test('shipped records with the paths tasker writes are kept', (t) => {
  const v: ShippedRecords = { delivery: 1, chunks: 1, files: [file('logs/a_20261206_082412_842.log'), file('tasks/a_1.txt'), file('logs/project_p_summary.log'), file('result.json')] };
  t.deepEqual(parseShippedRecords(v), v);
});

const unsafe = test.macro((t, path: string) => {
  t.is(parseShippedRecords({ delivery: 1, chunks: 1, files: [file(path)] }), undefined);
});
for (const p of ['/etc/passwd', 'logs/../../x.log', 'logs/a/b.log', 'other/a.log', 'logs/', 'logs/..', 'result.json/x']) {
  test(`a shipped path the controller must not write is refused: ${p}`, unsafe, p);
}

test('a result keeps valid records and drops malformed ones without failing', (t) => {
  const base = {
    v: 1, run_id: 'r1', seq: 1, task_file: 'a.txt', status: 'SUCCESS', exit_code: 0, start_time: '', end_time: '', duration_seconds: 0,
    agent: 'a', worker: 1, command_executed: '', error_message: '', stdout_tail: '', stderr_tail: '', delivery: 1,
  };
  const enc = (o: object) => new TextEncoder().encode(JSON.stringify(o));
  const good = parseResult(enc({ ...base, records: { delivery: 1, chunks: 1, files: [file('logs/a.log')], note: 'x' } }));
  t.true(good.ok && good.value.records?.files[0]?.path === 'logs/a.log' && good.value.records.note === 'x');
  const bad = parseResult(enc({ ...base, records: { delivery: 1, chunks: 1, files: [file('../a.log')] } }));
  t.true(bad.ok && bad.value.records === undefined);
});
