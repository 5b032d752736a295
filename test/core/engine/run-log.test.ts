/** The run log: lines of one event-loop turn written together, in order, on console and in the file. */
import test from 'ava';
import { mkdtempSync, readFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { setImmediate as nextTurn } from 'node:timers/promises';
import { RunLog } from '../../../core/engine/run-log.js';

function setup(level: 'INFO' | 'DEBUG' = 'INFO') {
  const writes: string[] = [];
  const log = new RunLog({ console: { write: (t: string) => writes.push(t) }, level, secrets: ['s3cret'] });
  const path = join(mkdtempSync(join(tmpdir(), 'run-log-')), 'run.log');
  log.openFile(path);
  return { log, writes, path, file: () => readFileSync(path, 'utf8') };
}
const strip = (text: string) => text.replace(/^\[\d\d\w{3}\d\d \d\d:\d\d:\d\d\] /gm, '');

test('lines of one turn reach console and file together at its end, one console write', async (t) => {
  const { log, writes, file } = setup();
  log.info('Task 0: Exit code: 0');
  log.info('Task 0: Completed - Success: True');
  log.info('Task 1: Executing [local]: /bin/true');
  t.deepEqual(writes, [], 'nothing written during the turn');
  t.is(file(), '');
  await nextTurn();
  t.is(writes.length, 1);
  t.is(strip(writes[0]!), 'Task 0: Exit code: 0\nTask 0: Completed - Success: True\nTask 1: Executing [local]: /bin/true\n');
  t.is(strip(file()), strip(writes[0]!));
});

test('file-only text keeps its place among the lines; close writes what is pending; secrets are masked', (t) => {
  const { log, writes, file } = setup();
  log.info('before');
  log.fileOnly('Task 0: STDOUT: the s3cret line\n');
  log.warn('after');
  log.debug('not at INFO');
  log.close();
  // The file gets every level; the console only those at or above the run's level.
  t.is(strip(file()), 'before\nTask 0: STDOUT: the <masked len=6> line\nWARN: after\nDEBUG: not at INFO\n');
  t.is(strip(writes.join('')), 'before\nWARN: after\n');
  t.deepEqual(log.warnings, ['after']);
});

test('flush() writes at once (for output that must follow the lines, like prompts)', (t) => {
  const { log, writes } = setup();
  log.error('boom');
  log.flush();
  t.is(strip(writes.join('')), 'ERROR: boom\n');
});
