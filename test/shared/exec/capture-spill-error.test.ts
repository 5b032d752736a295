import test from 'ava';
import { runProcess } from '../../../shared/exec/run-process.js';
import { spilledOutput } from '../../../shared/exec/spilled-output.js';
import { EMIT_OUTPUT } from '../../helpers/whole-output.js';

test('a spill file that cannot be written is said in stderr, and conditions then warn and read the kept text', async (t) => {
  const r = await runProcess({ argv: [EMIT_OUTPUT, 'fill:1500000', 'text:NEEDLE'], spillDir: '/nonexistent-tasker-dir' });
  t.is(r.exitCode, 0, 'the child was drained to the end');
  t.is(r.stdoutBytes, 1500006);
  t.regex(r.stderr, /cannot write \/nonexistent-tasker-dir\/tasker_stdout_\d+_[0-9a-f]+: ENOENT/);
  const warnings: string[] = [];
  const view = spilledOutput(r.stdoutFile!, r.stdout, { onError: (m) => warnings.push(m) });
  t.false(view.contains('NEEDLE'), 'only the first 100 KiB are left');
  t.regex(warnings[0]!, /cannot read the output kept in \/nonexistent-tasker-dir\/.*conditions see only its first 102400 bytes/);
});
