import test from 'ava';
import { spawnSync } from 'node:child_process';
import { join } from 'node:path';
import { makeSandbox, REPO, writeFiles } from './helpers.js';

/** The status lines drawn: the text after each `\r\x1b[2K` up to the next line end or redraw. */
function drawnLines(text: string): string[] {
  return text.split('\r\x1b[2K').slice(1).map((s) => s.split(/[\r\n]/)[0]!).filter(Boolean);
}

test('the built bin under an 80-column pseudo-terminal: no progress line is wider, and it follows a resize to 50', (t) => {
  const sb = makeSandbox();
  const files: Record<string, string> = {};
  for (let i = 1; i <= 12; i++) files[`task-file-with-a-rather-long-name-number-${String(i).padStart(2, '0')}.sh`] = 'sleep 0.3\n';
  writeFiles(sb.tasks, files);
  const bin = join(REPO, 'dist', 'controller', 'cli', 'parallelr.cjs');
  const r = spawnSync('python3', [join(REPO, 'test/helpers/pty-run.py'), bin, '-T', 'tasks', '-C', 'sh @TASK@', '-r', '-m', '4'], {
    cwd: sb.dir,
    env: { ...sb.env, COLUMNS: '' },
    encoding: 'utf8',
  });
  t.is(r.status, 0, r.stdout + r.stderr);
  const [before, after] = r.stdout.split('\0RESIZED\0') as [string, string | undefined];
  t.truthy(after, `the progress line was drawn: ${JSON.stringify(r.stdout)}`);
  const all = drawnLines(r.stdout.replace('\0RESIZED\0', ''));
  t.true(all.length >= 3);
  for (const l of all) t.true(l.length <= 79, `${l.length} columns: ${JSON.stringify(l)}`);
  t.true(drawnLines(before).some((l) => l.length > 49), 'at 80 columns the line uses the room');
  const last = drawnLines(after!).at(-1)!;
  t.true(last.length <= 49, `after the resize: ${JSON.stringify(last)}`);
  t.regex(last, /^(\[#+\] )?12\/12 ok 12 failed 0 running 0 /);
});
