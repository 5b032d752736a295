// Built bins started in a working directory that was removed (shared/cli-io.ts).
/**
 * `cd x; rm -rf ../x; tasker …`: the directory the bin starts in no longer exists. Relative paths
 * mean nothing there, so each bin says so in one line and exits 1 before anything runs, instead of
 * an internal error.
 */
import test from 'ava';
import { spawnSync } from 'node:child_process';
import { mkdirSync } from 'node:fs';
import { join } from 'node:path';
import { ROOT, tempDir } from '../../helpers/run-cli.js';

const bins: [string, string, string[]][] = [
  ['tasker', join(ROOT, 'dist', 'controller', 'cli', 'tasker.cjs'), ['-r', '/nonexistent/t.txt']],
  ['parallelr', join(ROOT, 'dist', 'controller', 'cli', 'parallelr.cjs'), ['-T', '/nonexistent', '-C', 'true @TASK@']],
  ['tasker-agent', join(ROOT, 'dist', 'agent', 'cli', 'tasker-agent.cjs'), ['run', '--', 'true']],
];

for (const [name, bin, args] of bins) {
  test(`${name} started in a removed directory: one line naming it, exit 1`, (t) => {
    const gone = join(tempDir('removed-cwd-'), 'gone');
    mkdirSync(gone);
    const r = spawnSync('sh', ['-c', 'cd "$1" && rmdir "$1" && shift && exec "$@"', 'sh', gone, bin, ...args], { encoding: 'utf8' });
    t.is(r.status, 1, r.stderr);
    t.is(r.stderr, `${name}: error: the current directory no longer exists (ENOENT): cd to a directory that exists and run again\n`);
    t.is(r.stdout, '');
  });
}
