/** `--rerun-failed RESULTS.jsonl` (issue 14, item 4): only the entries whose rows did not succeed run again. */
import test from 'ava';
import { mkdirSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { run } from '../../../controller/parallelr/cli.js';
import { fakeIo, makeSandbox, readJsonl, resultsPathFrom, writeFiles } from './helpers.js';

test('task files: only the failed ones run again, also from another directory than the first run', async (t) => {
  const sb = makeSandbox();
  writeFiles(sb.tasks, { 'a.sh': 'true\n', 'b.sh': 'exit 3\n', 'c.sh': 'true\n', 'd.sh': 'sleep 30\n' });
  const first = fakeIo(sb);
  t.is(await run(['-T', 'tasks', '-C', 'sh @TASK@', '-r', '-t', '1', '--results', 'first.jsonl'], first), 1, first.err());
  t.deepEqual(readJsonl(join(sb.dir, 'first.jsonl')).map((r) => `${r.task_file} ${r.status}`).sort(), ['tasks/a.sh SUCCESS', 'tasks/b.sh FAILED', 'tasks/c.sh SUCCESS', 'tasks/d.sh TIMEOUT']);
  // Fixed meanwhile; the rerun starts elsewhere: the rows name tasks/… relative to the first run's directory.
  writeFiles(sb.tasks, { 'b.sh': 'echo fixed\n', 'd.sh': 'true\n' });
  const elsewhere = join(sb.dir, 'elsewhere');
  mkdirSync(elsewhere);
  const again = fakeIo(sb, { cwd: elsewhere });
  t.is(await run(['--rerun-failed', join(sb.dir, 'first.jsonl'), '-C', 'sh @TASK@', '-r'], again), 0, again.out() + again.err());
  const rows = readJsonl(resultsPathFrom(again.out()));
  t.deepEqual(rows.map((r) => `${r.task_file} ${r.status} ${r.command}`).sort(), [
    `tasks/b.sh SUCCESS sh ${join(sb.tasks, 'b.sh')}`,
    `tasks/d.sh SUCCESS sh ${join(sb.tasks, 'd.sh')}`,
  ]);
  const dry = fakeIo(sb);
  t.is(await run(['--rerun-failed', 'first.jsonl', '-C', 'sh @TASK@'], dry), 0);
  t.regex(dry.out(), /^DRY RUN: 2 task\(s\) would run/m);
});

test('argument lines: the failed lines run again with their -E variables; nothing failed: nothing runs', async (t) => {
  const sb = makeSandbox();
  writeFileSync(join(sb.dir, 'args.txt'), '0\n4\n0\n5\n');
  const first = fakeIo(sb);
  t.is(await run(['-A', 'args.txt', '-E', 'CODE', '-C', 'sh -c "exit $CODE"', '-r', '--results', 'first.jsonl'], first), 1);
  const again = fakeIo(sb);
  t.is(await run(['--rerun-failed', 'first.jsonl', '-E', 'CODE', '-C', 'sh -c "echo $CODE; exit 0"', '-r', '--results', 'second.jsonl'], again), 0, again.err());
  t.deepEqual(readJsonl(join(sb.dir, 'second.jsonl')).map((r) => `${(r.arguments as string[]).join(',')} ${r.status}`).sort(), ['4 SUCCESS', '5 SUCCESS']);
  const none = fakeIo(sb);
  t.is(await run(['--rerun-failed', 'second.jsonl', '-E', 'CODE', '-C', 'sh -c "exit $CODE"', '-r'], none), 0);
  t.is(none.out(), 'Nothing to rerun: every entry of second.jsonl succeeded.\n');
});

const bad = test.macro(async (t, content: string | null, message: string) => {
  const sb = makeSandbox();
  if (content !== null) writeFileSync(join(sb.dir, 'bad.jsonl'), content);
  const io = fakeIo(sb);
  t.is(await run(['--rerun-failed', 'bad.jsonl', '-C', 'sh @TASK@', '-r'], io), 1);
  t.is(io.err(), `parallelr: error: --rerun-failed ${message}\n`);
  t.is(io.out(), '');
});

const ROW = '{"session_id":"s","task_file":"a.sh","arguments":[],"command":"sh a.sh","status":"FAILED","exit_code":1,"start_time":null,"end_time":null,"duration_seconds":0,"worker":1,"agent":null,"error_message":""}';
const EXPECTED = 'expected a parallelr results file (one JSON object per line, docs/schemas/parallelr-result.schema.json)';
test('a line that is not JSON names file:line:col', bad, `${ROW}\n{"status": FAILED}\n`, `bad.jsonl:2:12: not JSON (Unexpected token 'F', "{"status": FAILED}" is not valid JSON); ${EXPECTED}`);
test('a row with an unknown status names its line', bad, `${ROW.replace('FAILED', 'BROKEN')}\n`, `bad.jsonl:1:1: \`status\` must be one of SUCCESS, FAILED, TIMEOUT, CANCELLED, ERROR; ${EXPECTED}`);
test('a JSON line that is no object', bad, '[1]\n', `bad.jsonl:1:1: not a JSON object; ${EXPECTED}`);
test('an empty results file', bad, '\n', 'bad.jsonl: the file has no results rows');
test('a missing results file', bad, null, 'bad.jsonl: no such file');
test('-T with --rerun-failed is a usage error', async (t) => {
  const sb = makeSandbox();
  const io = fakeIo(sb);
  t.is(await run(['--rerun-failed', 'x.jsonl', '-T', 'tasks', '-C', 'sh @TASK@'], io), 2);
  t.regex(io.err(), /--rerun-failed takes the place of -T and -A/);
});
