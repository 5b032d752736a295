import test from 'ava';
import { chmodSync, mkdirSync, mkdtempSync, readFileSync, statSync, symlinkSync, writeFileSync } from 'node:fs';
import { homedir, tmpdir } from 'node:os';
import { join, relative } from 'node:path';
import { formatAlertTimestamp, prepareAlert, runAlert } from '../../../core/alert/index.js';

function tempDir(): string {
  return mkdtempSync(join(tmpdir(), 'tasker-alert-'));
}

/** A script that writes its TASKER_* environment, one VAR=value per line, to $1's directory. */
function envScript(dir: string, mode = 0o644): string {
  const path = join(dir, 'alert.sh');
  writeFileSync(path, `#!/bin/bash\nfor v in EXIT_CODE ERROR FAILED_TASK TASK_FILE LOG_FILE STATE_FILE TIMESTAMP; do n="TASKER_$v"; echo "$n=\${!n}"; done > "${join(dir, 'env.out')}"\necho alerted\necho oops >&2\nexit 3\n`);
  chmodSync(path, mode);
  return path;
}

test('a non-executable script is made 0700 and receives the seven TASKER_* variables', async (t) => {
  const dir = tempDir();
  const script = envScript(dir);
  const prepared = prepareAlert(relative(process.cwd(), script), process.cwd());
  t.deepEqual(prepared, { ok: true, path: script });
  t.is(statSync(script).mode & 0o777, 0o700);
  const r = await runAlert(script, {
    exitCode: 10, error: 'task 1 failed (exit code 1)', failedTask: 1, taskFile: 'wf.txt', logFile: '/b/logs/wf.log', stateFile: '',
    timestamp: new Date(2026, 10, 28, 4, 5, 6),
  }, { PATH: process.env.PATH });
  t.deepEqual(r, { exitCode: 3, timedOut: false, output: 'alerted\noops\n' });
  t.is(readFileSync(join(dir, 'env.out'), 'utf8'), [
    'TASKER_EXIT_CODE=10', 'TASKER_ERROR=task 1 failed (exit code 1)', 'TASKER_FAILED_TASK=1', 'TASKER_TASK_FILE=wf.txt',
    'TASKER_LOG_FILE=/b/logs/wf.log', 'TASKER_STATE_FILE=', 'TASKER_TIMESTAMP=2026-11-28 04:05:06', '',
  ].join('\n'));
});

test('an already executable script keeps its mode', (t) => {
  const dir = tempDir();
  const script = envScript(dir, 0o755);
  t.true(prepareAlert(script, '/').ok);
  t.is(statSync(script).mode & 0o777, 0o755);
});

test('~ is expanded to the home directory', (t) => {
  const r = prepareAlert('~/definitely-not-here-tasker-alert.sh', '/');
  t.deepEqual(r, { ok: false, warning: `Alert script ${join(homedir(), 'definitely-not-here-tasker-alert.sh')} does not exist; alerts are disabled` });
});

const refused = test.macro({
  exec(t, make: (dir: string) => string, expected: RegExp) {
    const dir = tempDir();
    const r = prepareAlert(make(dir), dir);
    t.false(r.ok);
    if (!r.ok) t.regex(r.warning, expected);
  },
  title: (provided) => provided ?? '',
});
test('a missing script disables alerts', refused, () => '/nonexistent/path/to/alert.sh', /^Alert script \/nonexistent\/path\/to\/alert\.sh does not exist; alerts are disabled$/);
test('a symlink disables alerts', refused, (dir) => {
  symlinkSync(envScript(dir), join(dir, 'link.sh'));
  return 'link.sh';
}, /link\.sh is a symbolic link/);
test('a directory disables alerts', refused, (dir) => {
  mkdirSync(join(dir, 'd'));
  return 'd';
}, /d is not a regular file/);

test('a script outliving the timeout is killed and reported', async (t) => {
  const dir = tempDir();
  const path = join(dir, 'slow.sh');
  writeFileSync(path, '#!/bin/bash\necho starting\nsleep 60\necho never\n', { mode: 0o700 });
  const r = await runAlert(path, { exitCode: 1, error: 'x', taskFile: 'wf.txt', timestamp: new Date() }, { PATH: process.env.PATH }, { timeoutMs: 500 });
  t.true(r.timedOut);
  t.is(r.exitCode, 124);
  t.regex(r.output, /^starting\n/);
  t.notRegex(r.output, /never/);
});

test('timestamp format is YYYY-mm-dd HH:MM:SS', (t) => {
  t.is(formatAlertTimestamp(new Date(2026, 0, 2, 3, 4, 5)), '2026-01-02 03:04:05');
});
