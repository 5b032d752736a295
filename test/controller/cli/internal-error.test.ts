// Built bin: the bins' last-resort handler for an internal error (one line, exit 70).
/**
 * Every built bin ends an internal error with one line and exit 70. The defect is made real by a
 * preloaded module that breaks process.stdout.write, so `--help` throws inside the CLI.
 */
import test from 'ava';
import { spawnSync } from 'node:child_process';
import { writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { ROOT, tempDir } from '../../helpers/run-cli.js';

const preload = join(tempDir('internal-error-'), 'break-stdout.cjs');
writeFileSync(preload, "process.stdout.write = () => { throw new TypeError('stdout is broken'); };\n");

const bins: [string, string][] = [
  ['tasker', join(ROOT, 'dist', 'controller', 'cli', 'tasker.cjs')],
  ['parallelr', join(ROOT, 'dist', 'controller', 'cli', 'parallelr.cjs')],
  ['tasker-agent', join(ROOT, 'dist', 'agent', 'cli', 'tasker-agent.js')],
];

for (const [name, bin] of bins) {
  test(`${name}: an internal error is one line and exit 70, no stack trace`, (t) => {
    const r = spawnSync(process.execPath, ['--require', preload, bin, '--help'], { encoding: 'utf8' });
    t.is(r.status, 70);
    t.is(r.stderr, `${name}: internal error: TypeError: stdout is broken (please report this)\n`);
  });
}
