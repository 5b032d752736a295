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

test('an inline bundle of exactly the shipped bytes is kept', (t) => {
  const v: ShippedRecords = { delivery: 1, chunks: 0, files: [file('logs/a.log'), file('result.json')], inline: Buffer.alloc(20, 'x').toString('base64') };
  t.deepEqual(parseShippedRecords(v), v);
});

const badInline = test.macro((t, records: Record<string, unknown>) => {
  const base = {
    v: 1, run_id: 'r1', seq: 1, task_file: 'a.txt', status: 'FAILED', exit_code: 1, start_time: '', end_time: '', duration_seconds: 0,
    agent: 'a', worker: 1, command_executed: '', error_message: 'Exit code 1', stdout_tail: '', stderr_tail: '', delivery: 1,
  };
  t.is(parseShippedRecords(records), undefined);
  const r = parseResult(new TextEncoder().encode(JSON.stringify({ ...base, records })));
  t.true(r.ok && r.value.records === undefined && r.value.status === 'FAILED', 'the result itself stays valid');
});
const ten = Buffer.alloc(10, 'y').toString('base64');
test('bad inline data: not base64', badInline, { delivery: 1, chunks: 0, files: [file('logs/a.log')], inline: 'not base64!!' });
test('bad inline data: not a string', badInline, { delivery: 1, chunks: 0, files: [file('logs/a.log')], inline: 42 });
test('bad inline data: fewer bytes than the files shipped', badInline, { delivery: 1, chunks: 0, files: [file('logs/a.log'), file('result.json')], inline: ten });
test('bad inline data: more bytes than the files shipped', badInline, { delivery: 1, chunks: 0, files: [], inline: ten });
test('bad inline data: inline and chunks at once', badInline, { delivery: 1, chunks: 1, files: [file('logs/a.log')], inline: ten });
test('bad inline data: above the inline bound', badInline, {
  delivery: 1, chunks: 0, files: [{ path: 'logs/a.log', size: 70_000, shipped: 70_000, capped: false }], inline: Buffer.alloc(70_000).toString('base64'),
});
