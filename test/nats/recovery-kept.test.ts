/** The controller's copy of a distributed task file's `--auto-recovery` state (controller/nats/recovery-kept.ts). */
import test from 'ava';
import { existsSync, mkdtempSync, readFileSync, statSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { dropRecovery, keepRecovery, keptRecovery } from '../../controller/nats/recovery-kept.js';
import { recoveryPath } from '../../core/recovery/index.js';

test('kept where a local run keeps it, 0600, naming this side\'s file; sent as it is kept; dropped on request', (t) => {
  const dir = mkdtempSync(join(tmpdir(), 'tasker-recovery-kept-'));
  const base = join(dir, 'TASKER');
  const taskPath = join(dir, 'tasks', 'deploy.txt');
  t.is(keptRecovery(base, taskPath), undefined, 'none yet');
  const fromAgent = { version: '1.0', task_file_path: '/tmp/tasker-nats-0/job-slot1-p1-abc/deploy.txt', task_file_hash: 'ab12', next_task: 1 };
  keepRecovery(base, taskPath, Buffer.from(JSON.stringify(fromAgent)));
  const path = recoveryPath(base, taskPath);
  const kept = JSON.parse(readFileSync(path, 'utf8'));
  t.deepEqual(kept, { ...fromAgent, task_file_path: taskPath });
  t.is(statSync(path).mode & 0o777, 0o600);
  t.is(statSync(join(base, 'recovery')).mode & 0o777, 0o700);
  t.deepEqual(JSON.parse(Buffer.from(keptRecovery(base, taskPath)!, 'base64').toString('utf8')), kept);
  dropRecovery(base, taskPath);
  t.false(existsSync(path));
  t.is(keptRecovery(base, taskPath), undefined);
});

test('what is not a recovery state is refused, and the kept one stays', (t) => {
  const dir = mkdtempSync(join(tmpdir(), 'tasker-recovery-kept-'));
  const base = join(dir, 'TASKER');
  const taskPath = join(dir, 'a.txt');
  keepRecovery(base, taskPath, Buffer.from('{"task_file_hash":"x"}'));
  for (const bad of ['not json', '[]', 'null', '{"task_file_hash":3}']) {
    t.throws(() => keepRecovery(base, taskPath, Buffer.from(bad)), undefined, bad);
  }
  t.like(JSON.parse(readFileSync(recoveryPath(base, taskPath), 'utf8')), { task_file_hash: 'x' });
  // A kept state is sent as it is, damaged or not: the agent's run meets it as a local run would.
  writeFileSync(recoveryPath(base, taskPath), '{oops');
  t.is(Buffer.from(keptRecovery(base, taskPath)!, 'base64').toString('utf8'), '{oops');
});
