// Built bin: SIGINT/SIGTERM go to the tasker process.
/**
 * Retries (issue 15, item 5) interrupted by a signal during the wait before the next attempt. No
 * timing assertions except the interrupted wait, which must end far sooner than the wait itself.
 */
import test from 'ava';
import { readFileSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { setTimeout as delay } from 'node:timers/promises';
import { spawnTasker, tempDir } from '../helpers/run-cli.js';
import type { RunResult } from '../../core/run/index.js';
import { echo, flaky } from '../helpers/task-files.js';

/** The --output-json document. */
type RunJson = RunResult;

const runs = (state: string): number => Number(readFileSync(state, 'utf8').trim());

for (const [signal, code] of [['SIGINT', 130], ['SIGTERM', 143]] as const) {
  test(`${signal} during the wait before a retry stops the run at once (exit ${code}); no further attempt`, async (t) => {
    const dir = tempDir();
    const state = join(dir, 'n');
    writeFileSync(join(dir, 'f.txt'), flaky(0, state, 99, 'retry_count=3', 'retry_delay=300') + '\n' + echo(1, 'never'));
    let sentAt = 0;
    const r = await spawnTasker(['-r', 'f.txt', '-l', join(dir, 'base'), '--output-json', 'o.json'], {
      cwd: dir,
      onStdout: (out, pid) => {
        if (sentAt || !out.includes('retrying in 300 s')) return;
        sentAt = Date.now();
        void delay(200).then(() => process.kill(pid, signal));
      },
    });
    const tookMs = Date.now() - sentAt;
    t.is(r.code, code, r.stdout + r.stderr);
    // The wait was 300 s; a generous bound shows it was not slept through.
    t.true(tookMs < 60_000, `ended ${tookMs} ms after the signal`);
    t.is(runs(state), 1, 'attempt 2 never ran');
    t.regex(r.stdout, /Task 0: stopped while waiting to retry; attempt 2\/4 does not run/);
    const json = JSON.parse(readFileSync(join(dir, 'o.json'), 'utf8')) as RunJson;
    t.is(json.task_results['0']!.attempts!.length, 1);
    t.deepEqual(json.execution_summary.execution_path, [0]);
  });
}
