/** A file refused by validation is still recorded: its JSON result says why, with the place of each error. */
import test from 'ava';
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { file, runTaskerIn, tempWith } from '../../helpers/tasker.js';

test('the JSON of a refused file lists each validation error with file:line:col and its code', async (t) => {
  const dir = tempWith({
    'bad.txt': file('task=0', 'hostname=localhost', 'command=echo', 'exec=local', '', 'task=1', 'type=decision', 'success=@0_exit@=0', 'failure=@0_exit@!=0', 'on_success=2', '', 'task=2', 'hostname=localhost', 'command=echo', 'exec=local'),
  });
  const r = await runTaskerIn(dir, ['bad.txt', '--output-json', 'out.json']);
  t.is(r.code, 20);
  const json = JSON.parse(readFileSync(join(dir, 'out.json'), 'utf8')) as { warnings: string[]; workflow_metadata: { status: string } };
  t.is(json.workflow_metadata.status, 'failed');
  t.deepEqual(json.warnings, ['bad.txt:9:9: error[SUCCESS_AND_FAILURE]: task 1: success= and failure= are both set']);
});

test('a warning and an error of the same file are both listed, the warning as before', async (t) => {
  const dir = tempWith({ 'bad.txt': file('task=0', 'hostname=localhost', 'command=echo', 'exec=local', 'colour=blue', 'next=bogus_condition_xyz') });
  const r = await runTaskerIn(dir, ['bad.txt', '--output-json', 'out.json']);
  t.is(r.code, 20);
  const json = JSON.parse(readFileSync(join(dir, 'out.json'), 'utf8')) as { warnings: string[] };
  t.true(json.warnings.some((w) => /^bad\.txt:\d+:\d+: error\[[A-Z_]+\]: /.test(w)), json.warnings.join('\n'));
  t.true(json.warnings.some((w) => /^bad\.txt:5:\d+: .*colour/.test(w) && !w.includes('error[')), json.warnings.join('\n'));
});
