/** The worker registry's lock: held by another parallelr, it is a BusyError naming the lock (shared/errors). */
import test from 'ava';
import { mkdirSync, mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { WorkerRegistry } from '../../../controller/parallelr/registry.js';
import { BusyError } from '../../../shared/errors/index.js';

test('a registry lock another parallelr holds: BusyError "… is held by another parallelr; try again", fn never runs', (t) => {
  const dir = mkdtempSync(join(tmpdir(), 'tasker-registry-lock-'));
  t.teardown(() => rmSync(dir, { recursive: true, force: true }));
  mkdirSync(join(dir, '.lock')); // fresh: not old enough to count as abandoned
  let ran = false;
  const err = t.throws(() => new WorkerRegistry(dir).withLock(() => (ran = true)), { instanceOf: BusyError });
  t.is(err!.code, 'BUSY');
  t.is(err!.message, `registry lock ${join(dir, '.lock')} is held by another parallelr; try again`);
  t.false(ran);
});
