/**
 * RunOptions.onRecords (docs/architecture.md, record stage): the record stage hands its caller the
 * log file, the `-p` row it appended and the `--output-json` document byte for byte as the file; a
 * caller that takes the document gets no file written; a run that ends before recording calls nothing.
 */
import test from 'ava';
import { existsSync, readFileSync } from 'node:fs';
import { join } from 'node:path';
import { ExitCode } from '../../../shared/exit-codes.js';
import { runTaskerWith, type MadeRecords } from '../../../core/run/index.js';
import { fakeIo, FIXTURE_BIN, tempWith } from '../../helpers/tasker.js';

const FAIL = 'task=0\nhostname=localhost\nexec=local\ncommand=echo\narguments=first\n\ntask=1\nhostname=localhost\nexec=local\ncommand=sh\narguments=-c "exit 3"\n';

function ioIn(dir: string) {
  return fakeIo({ cwd: dir, env: { PATH: `${FIXTURE_BIN}:/usr/bin:/bin`, HOME: dir, TASK_EXECUTOR_LOG: join(dir, 'base') } });
}

test('the document handed over is the --output-json file byte for byte; the row and log are the ones written', async (t) => {
  const dir = tempWith({ 'f.txt': FAIL });
  const made: MadeRecords[] = [];
  const fake = ioIn(dir);
  const code = await runTaskerWith(['-r', '-p', 'proj', '--output-json', 'out.json', 'f.txt'], fake.io, { onRecords: (m) => void made.push(m) });
  t.is(code, ExitCode.TASK_FAILED, fake.stderr());
  t.is(made.length, 1);
  const m = made[0]!;
  t.is(m.resultJson(), readFileSync(join(dir, 'out.json'), 'utf8'));
  t.like(JSON.parse(m.resultJson()), { workflow_metadata: { log_file: m.logFile, exit_code: 10 }, execution_summary: { failure_info: { task_id: 1 } } });
  t.true(existsSync(m.logFile!));
  const summary = readFileSync(join(dir, 'base', 'logs', 'project_proj_summary.log'), 'utf8').split('\n');
  t.deepEqual(m.summaryRows, [{ path: join(dir, 'base', 'logs', 'project_proj_summary.log'), header: summary[0], row: summary[1] }]);
  t.true(m.summaryRows[0]!.row.endsWith(`\t10\tFAILURE\t${m.logFile}`));
});

test('a caller that takes the document gets no file; the log names it as for one', async (t) => {
  const dir = tempWith({ 'f.txt': FAIL });
  let made: MadeRecords | undefined;
  const fake = ioIn(dir);
  const code = await runTaskerWith(['-r', '--output-json', 'out.json', 'f.txt'], fake.io, { onRecords: (m) => ((made = m), true) });
  t.is(code, ExitCode.TASK_FAILED);
  t.false(existsSync(join(dir, 'out.json')));
  t.deepEqual(made!.summaryRows, []);
  t.regex(readFileSync(made!.logFile!, 'utf8'), new RegExp(`JSON result written to ${join(dir, 'out.json')}\\n`));
  t.is(JSON.parse(made!.resultJson()).workflow_metadata.status, 'failed');
});

test('a validation failure is recorded and handed over too; a run ended before recording hands over nothing', async (t) => {
  const dir = tempWith({ 'bad.txt': 'task=0\nhostname=localhost\nexec=local\ncommand=echo\nsuccess=stdot~x\n' });
  const made: MadeRecords[] = [];
  t.is(await runTaskerWith(['-r', 'bad.txt'], ioIn(dir).io, { onRecords: (m) => void made.push(m) }), ExitCode.VALIDATION_FAILED);
  t.is(made.length, 1);
  t.like(JSON.parse(made[0]!.resultJson()), { workflow_metadata: { status: 'failed', exit_code: ExitCode.VALIDATION_FAILED } });
  t.not(await runTaskerWith(['-r', 'missing.txt'], ioIn(dir).io, { onRecords: (m) => void made.push(m) }), ExitCode.SUCCESS);
  t.is(made.length, 1);
});
