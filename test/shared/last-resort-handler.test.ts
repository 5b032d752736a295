/**
 * The last-resort handler in a real child process: an exception or rejection nothing caught ends
 * the process with one line naming it and exit 70, never a stack trace.
 */
import test from 'ava';
import { spawnSync } from 'node:child_process';
import { join } from 'node:path';
import { ROOT } from '../helpers/run-cli.js';

const HANDLER = join(ROOT, 'shared', 'last-resort-handler.ts');

function runScript(body: string): { status: number | null; stderr: string } {
  const script = `import { installLastResortHandler } from ${JSON.stringify(HANDLER)};\ninstallLastResortHandler('demo');\n${body}`;
  const r = spawnSync(process.execPath, ['--import', 'tsx', '--input-type=module', '-e', script], { cwd: ROOT, encoding: 'utf8' });
  return { status: r.status, stderr: r.stderr };
}

const ends = test.macro({
  exec(t, body: string, line: string) {
    const r = runScript(body);
    t.is(r.status, 70);
    t.is(r.stderr, `${line}\n`);
  },
  title: (what?: string) => `${what}: one line, exit 70`,
});

test('an uncaught exception', ends, "throw new TypeError('boom');", 'demo: internal error: TypeError: boom (please report this)');
test('an exception thrown later from a timer', ends, "setTimeout(() => { throw new RangeError('Maximum call stack size exceeded'); }, 1);", 'demo: internal error: RangeError: Maximum call stack size exceeded (please report this)');
test('an unhandled rejection', ends, "Promise.reject(new Error('first line\\nsecond line'));", 'demo: internal error: Error: first line (please report this)');
test('a rejection with a non-Error reason, control characters escaped', ends, "Promise.reject('bad \\u001b[2J value');", 'demo: internal error: bad \\x1b[2J value (please report this)');

test('nothing uncaught: the handler changes nothing', (t) => {
  const r = runScript("process.stdout.write('ok\\n');");
  t.is(r.status, 0);
  t.is(r.stderr, '');
});
