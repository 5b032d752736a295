import test from 'ava';
import { existsSync, readdirSync, readFileSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { file, runTaskerIn, tempWith } from '../../helpers/tasker.js';

/**
 * Issue 13 item 11: `--output-json` is a report, not a resume switch. A second run after a failure
 * starts from the first task unless `--auto-recovery` is given.
 */
const FLAKY = (dir: string): string => file(
  'task=0',
  'hostname=localhost',
  'exec=local',
  `command=sh`,
  `arguments=-c "echo ran0 >> ${join(dir, 'trace')}"`,
  '',
  'task=1',
  'hostname=localhost',
  'exec=local',
  'command=sh',
  `arguments=-c "echo ran1 >> ${join(dir, 'trace')}; test -e ${join(dir, 'ok')}"`,
);

test('a second --output-json run after a failure starts again at the first task and saves no recovery state', async (t) => {
  const dir = tempWith();
  writeFileSync(join(dir, 'wf.txt'), FLAKY(dir));
  const first = await runTaskerIn(dir, ['-r', 'wf.txt', '--output-json', 'out.json']);
  t.is(first.code, 10, first.stderr);
  t.false(existsSync(join(dir, 'logs', 'recovery')) && readdirSync(join(dir, 'logs', 'recovery')).length > 0, 'no recovery state without --auto-recovery');
  writeFileSync(join(dir, 'ok'), '');
  const second = await runTaskerIn(dir, ['-r', 'wf.txt', '--output-json', 'out.json']);
  t.is(second.code, 0, second.stderr);
  t.deepEqual(readFileSync(join(dir, 'trace'), 'utf8').trim().split('\n'), ['ran0', 'ran1', 'ran0', 'ran1']);
  const json = JSON.parse(readFileSync(join(dir, 'out.json'), 'utf8')) as { execution_summary: { execution_path: number[] } };
  t.deepEqual(json.execution_summary.execution_path, [0, 1]);
});

test('with --auto-recovery (and --output-json) the second run resumes at the failed task', async (t) => {
  const dir = tempWith();
  writeFileSync(join(dir, 'wf.txt'), FLAKY(dir));
  const first = await runTaskerIn(dir, ['-r', 'wf.txt', '--output-json', 'out.json', '--auto-recovery']);
  t.is(first.code, 10, first.stderr);
  writeFileSync(join(dir, 'ok'), '');
  const second = await runTaskerIn(dir, ['-r', 'wf.txt', '--output-json', 'out.json', '--auto-recovery']);
  t.is(second.code, 0, second.stderr);
  t.deepEqual(readFileSync(join(dir, 'trace'), 'utf8').trim().split('\n'), ['ran0', 'ran1', 'ran1']);
});
