/** The main log: line shape, level filter, size rotation (`.1` … `.N`), lines written by the end of a turn. */
import test from 'ava';
import { existsSync, mkdtempSync, readFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { setImmediate as nextTurn } from 'node:timers/promises';
import { openMainLog } from '../../../controller/parallelr/main-log.js';

const LINE = /^\d{4}-\d\d-\d\d \d\d:\d\d:\d\d,\d{3} - P4242 - (INFO|WARNING|ERROR|DEBUG) - (.*)$/;
const messages = (text: string) => text.trimEnd().split('\n').filter(Boolean).map((l) => LINE.exec(l)![2]);

test('lines reach the file by the end of the turn, in order, below the level filtered out', async (t) => {
  const path = join(mkdtempSync(join(tmpdir(), 'main-log-')), 'p.log');
  const log = openMainLog(path, { level: 'INFO', pid: 4242, maxBytes: 1 << 20, backups: 3, onLost: (p) => t.fail(p) });
  log.info('one');
  log.debug('hidden');
  log.warn('two');
  await nextTurn();
  t.deepEqual(messages(readFileSync(path, 'utf8')), ['one', 'two']);
  log.error('three');
  log.close(); // close writes what the turn had
  t.deepEqual(messages(readFileSync(path, 'utf8')), ['one', 'two', 'three']);
  t.regex(readFileSync(path, 'utf8').split('\n')[1]!, LINE);
});

test('rotation: the file never grows past maxBytes, older lines move to .1 … .N, the oldest are dropped', async (t) => {
  const path = join(mkdtempSync(join(tmpdir(), 'main-log-')), 'p.log');
  const log = openMainLog(path, { level: 'INFO', pid: 4242, maxBytes: 300, backups: 2, onLost: (p) => t.fail(p) });
  const lineBytes = Buffer.byteLength(`2026-11-28 09:00:00,000 - P4242 - INFO - m00\n`);
  for (let i = 0; i < 30; i++) log.info(`m${String(i).padStart(2, '0')}`); // one turn, several rotations
  log.close();
  const perFile = Math.floor(300 / lineBytes);
  const current = messages(readFileSync(path, 'utf8'));
  const first = messages(readFileSync(`${path}.1`, 'utf8'));
  const second = messages(readFileSync(`${path}.2`, 'utf8'));
  t.false(existsSync(`${path}.3`));
  for (const f of [path, `${path}.1`, `${path}.2`]) t.true(readFileSync(f).length <= 300, f);
  // Newest last: the three files hold the tail of the sequence, without gaps or repeats.
  const all = [...second, ...first, ...current];
  t.is(current.length, 30 % perFile || perFile);
  t.deepEqual(all, Array.from({ length: all.length }, (_, k) => `m${String(30 - all.length + k).padStart(2, '0')}`));
});
