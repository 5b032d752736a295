/**
 * shared/record-file.ts on a real failing device: /dev/full fails every write with ENOSPC, as a
 * full disk does. The loss is told once, the file is left alone after, nothing throws.
 */
import test from 'ava';
import { mkdtempSync, readFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { openRecordFile } from '../../shared/record-file.js';

test('a write that fails (ENOSPC on /dev/full) is told once, naming the file and the reason; later writes are dropped, nothing throws', (t) => {
  const problems: string[] = [];
  const file = openRecordFile('/dev/full', (p) => problems.push(p));
  t.false(file.lost);
  t.notThrows(() => file.write('first line\n'));
  t.notThrows(() => file.write('second line\n'));
  t.true(file.lost);
  t.deepEqual(problems, ['cannot write /dev/full (ENOSPC: no space left on device, write): the file ends here; the run carries on']);
  t.notThrows(() => file.close());
});

test('a file that can be written gets every write, in order, and is never reported lost', (t) => {
  const path = join(mkdtempSync(join(tmpdir(), 'record-file-')), 'r.log');
  const file = openRecordFile(path, (p) => t.fail(p));
  file.write('one\n');
  file.write('two\n');
  file.close();
  t.false(file.lost);
  t.is(readFileSync(path, 'utf8'), 'one\ntwo\n');
});

test('a file that cannot be opened throws at once (before a run starts, the caller reports it)', (t) => {
  t.throws(() => openRecordFile('/nonexistent-dir/r.log', () => t.fail('not a lost write')), { code: 'ENOENT' });
});
