/**
 * The malformed-file corpus: each `test/corpus/bad/NAME.txt` has one class of problem and
 * `NAME.expected` holds every diagnostic exactly as the CLI prints it. The good corpus validates
 * without errors.
 */
import test from 'ava';
import { readdirSync, readFileSync } from 'node:fs';
import { join } from 'node:path';
import { hasErrors } from '../../../shared/taskfile/diagnostics.js';
import { check, formatAll, ROOT, runTaskerIn, tempWith } from '../../helpers/tasker.js';

const BAD = join(ROOT, 'test', 'corpus', 'bad');
const GOOD = join(ROOT, 'test', 'corpus', 'good');
const txt = (dir: string): string[] => readdirSync(dir).filter((f) => f.endsWith('.txt')).sort();

test('the corpus has at least 25 malformed and 5 valid files, each malformed one with its expected text', (t) => {
  t.true(txt(BAD).length >= 25);
  t.true(txt(GOOD).length >= 5);
  const expected = readdirSync(BAD).filter((f) => f.endsWith('.expected')).sort();
  t.deepEqual(expected, txt(BAD).map((f) => f.replace(/\.txt$/, '.expected')));
});

const exactDiagnostics = test.macro({
  exec(t, name: string) {
    const text = readFileSync(join(BAD, name), 'utf8');
    const expected = readFileSync(join(BAD, name.replace(/\.txt$/, '.expected')), 'utf8');
    t.is(`${formatAll(text, name)}\n`, expected);
    t.not(check(text).diagnostics.length, 0);
  },
  title: (_p, name: string) => `bad/${name}: exact diagnostics`,
});
for (const name of txt(BAD)) test(exactDiagnostics, name);

const cliPrintsThem = test.macro({
  async exec(t, name: string) {
    const text = readFileSync(join(BAD, name), 'utf8');
    const expected = readFileSync(join(BAD, name.replace(/\.txt$/, '.expected')), 'utf8');
    const home = tempWith();
    const r = await runTaskerIn(BAD, ['--validate-only', '--skip-host-validation', name], { HOME: home, TASK_EXECUTOR_LOG: join(home, 'logs') });
    t.true(r.stderr.startsWith(expected), r.stderr);
    t.is(r.code, hasErrors(check(text).diagnostics) ? 20 : 0);
  },
  title: (_p, name: string) => `bad/${name}: tasker --validate-only prints the same text`,
});
for (const name of txt(BAD)) test(cliPrintsThem, name);

const valid = test.macro({
  exec(t, name: string) {
    const { diagnostics } = check(readFileSync(join(GOOD, name), 'utf8'));
    t.false(hasErrors(diagnostics), JSON.stringify(diagnostics, null, 2));
    if (name !== 'seed-workflow.txt') t.deepEqual(diagnostics, []);
  },
  title: (_p, name: string) => `good/${name}: no errors`,
});
for (const name of txt(GOOD)) test(valid, name);

test('the seed workflow copy matches examples/ and has only the two `return N` warnings', (t) => {
  const text = readFileSync(join(GOOD, 'seed-workflow.txt'), 'utf8');
  t.is(text, readFileSync(join(ROOT, 'examples', 'workflow.txt'), 'utf8'));
  t.deepEqual(check(text).diagnostics.map((d) => [d.code, d.severity, d.line]), [['MISSING_EQUALS', 'warning', 52], ['MISSING_EQUALS', 'warning', 69]]);
});
