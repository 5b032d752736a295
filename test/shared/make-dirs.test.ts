import test from 'ava';
import { mkdtempSync, statSync, symlinkSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { makeDirs } from '../../shared/make-dirs.js';

const scratch = () => mkdtempSync(join(tmpdir(), 'tasker-make-dirs-'));

test('makes the missing directories with the mode and returns the first one made; nothing when all are there', (t) => {
  const dir = scratch();
  t.is(makeDirs(join(dir, 'a', 'b', 'c'), 0o700), join(dir, 'a'));
  t.is(statSync(join(dir, 'a', 'b', 'c')).mode & 0o777, 0o700);
  t.is(makeDirs(join(dir, 'a', 'b', 'c')), undefined);
  t.is(makeDirs(join(dir, 'a', 'd')), join(dir, 'a', 'd'));
});

test('a filesystem that refuses new directories with ENOENT (/proc) is an error at once, not an endless loop', (t) => {
  const e = t.throws(() => makeDirs('/proc/tasker-no-such/logs'));
  t.is((e as NodeJS.ErrnoException).code, 'ENOENT');
  t.is(e!.message, "ENOENT: this filesystem does not take new directories, mkdir '/proc/tasker-no-such'");
});

test('a file in the way, and a symbolic link to a missing directory, are named', (t) => {
  const dir = scratch();
  writeFileSync(join(dir, 'file'), '');
  t.is((t.throws(() => makeDirs(join(dir, 'file', 'logs'))) as NodeJS.ErrnoException).code, 'ENOTDIR');
  symlinkSync(join(dir, 'gone'), join(dir, 'link'));
  const e = t.throws(() => makeDirs(join(dir, 'link', 'logs')));
  t.is(e!.message, `ENOENT: a symbolic link to a missing directory, '${join(dir, 'link')}'`);
});
