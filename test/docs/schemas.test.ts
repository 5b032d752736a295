/**
 * The published JSON Schemas (docs/schemas/) describe what tasker and parallelr really write:
 * real --output-json documents and real results rows are checked against them.
 */
import test from 'ava';
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { run as runParallelr } from '../../controller/parallelr/cli.js';
import type { RunResult } from '../../core/run/index.js';
import { schemaErrors } from '../helpers/json-schema.js';
import { FIXTURE_BIN, runTaskerIn, tempWith } from '../helpers/tasker.js';
import { fakeIo, makeSandbox, readJsonl, resultsPathFrom, writeFiles } from '../controller/parallelr/helpers.js';

const local = (id: number, command: string, args: string, ...extra: string[]): string =>
  [`task=${id}`, 'hostname=localhost', 'exec=local', `command=${command}`, `arguments=${args}`, ...extra, ''].join('\n');

async function outputJson(files: Record<string, string>, extra: string[] = []): Promise<{ code: number; json: RunResult; out: string }> {
  const dir = tempWith(files);
  const r = await runTaskerIn(dir, ['-r', 'f.txt', '--output-json', 'o.json', ...extra]);
  return { code: r.code, json: JSON.parse(readFileSync(join(dir, 'o.json'), 'utf8')) as RunResult, out: r.stdout + r.stderr };
}

test('a successful run with a retried task and a loop conforms to run-result.schema.json', async (t) => {
  const dir = tempWith();
  const text = [
    local(0, join(FIXTURE_BIN, 'fail-until'), `${join(dir, 'n')} 2`, 'retry_count=2', 'retry_delay=0'),
    local(1, 'echo', 'again', 'next=loop', 'loop=2'),
    local(2, 'echo', 'done @0_stdout@'),
  ].join('\n');
  const r = await outputJson({ 'f.txt': text });
  t.is(r.code, 0, r.out);
  t.deepEqual(schemaErrors('run-result', r.json), []);
  t.truthy(r.json.task_results['0']?.attempts, 'the retried task records its attempts');
  t.true(r.json.execution_summary.loop_iterations.length > 0, 'the loop recorded its iterations');
});

test('a failed run (failure_info) and a run that failed validation (no task ran) conform too', async (t) => {
  const failed = await outputJson({ 'f.txt': local(0, 'false', '') });
  t.is(failed.code, 10, failed.out);
  t.deepEqual(schemaErrors('run-result', failed.json), []);
  t.is(failed.json.execution_summary.failure_info?.task_id, 0);

  const invalid = await outputJson({ 'f.txt': 'task=0\nhostname=localhost\nnext=nonsense(\n' });
  t.is(invalid.code, 20, invalid.out);
  t.deepEqual(schemaErrors('run-result', invalid.json), []);
  t.is(invalid.json.workflow_metadata.log_file, null);
});

test('the schemas are not vacuous: a missing key, an unknown key and a wrong type are each reported', async (t) => {
  const { json } = await outputJson({ 'f.txt': local(0, 'true', '') });
  const { warnings: _w, ...missing } = json;
  t.not(schemaErrors('run-result', missing).length, 0);
  t.not(schemaErrors('run-result', { ...json, extra: 1 }).length, 0);
  t.not(schemaErrors('run-result', { ...json, workflow_metadata: { ...json.workflow_metadata, exit_code: '0' } }).length, 0);
  t.not(schemaErrors('parallelr-result', { session_id: 's' }).length, 0);
});

test('parallelr results rows (succeeded and failed tasks, run in-process by the engine) conform to parallelr-result.schema.json', async (t) => {
  const sb = makeSandbox();
  writeFiles(sb.tasks, { 'a.txt': local(0, 'echo', 'alpha'), 'b.txt': local(0, 'false', '') });
  const io = fakeIo(sb);
  const code = await runParallelr(['-T', sb.tasks, '-C', 'tasker -r @TASK@', '-r', '-m', '2'], io);
  t.is(code, 1, io.out() + io.err());
  const rows = readJsonl(resultsPathFrom(io.out()));
  t.is(rows.length, 2);
  t.deepEqual(rows.map((row) => row['status']).sort(), ['FAILED', 'SUCCESS']);
  t.true(rows.some((row) => row['task_exit_code'] === 1), 'the failed tasker file carries its task exit code');
  for (const row of rows) t.deepEqual(schemaErrors('parallelr-result', row), [], JSON.stringify(row));
});
