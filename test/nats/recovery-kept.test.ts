/** The controller's copy of a distributed task file's `--auto-recovery` state (controller/nats/recovery-kept.ts, local-paths.ts). */
import test from 'ava';
import { chmodSync, existsSync, lstatSync, mkdirSync, mkdtempSync, readFileSync, statSync, symlinkSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { dropRecovery, keepRecovery, keptRecovery } from '../../controller/nats/recovery-kept.js';
import { localPaths } from '../../controller/nats/local-paths.js';
import { recoveryPath } from '../../core/recovery/index.js';

const TEMPLATE = 'tasker -r --auto-recovery @TASK@';

test('kept where a local run keeps it, 0600, naming this side\'s file; sent as it is kept; dropped on request', (t) => {
  const dir = mkdtempSync(join(tmpdir(), 'tasker-recovery-kept-'));
  const base = join(dir, 'TASKER');
  const taskPath = join(dir, 'tasks', 'deploy.txt');
  const where = localPaths(TEMPLATE, base, join(dir, 'workspace')).recoveryFile(taskPath);
  t.deepEqual(where, { path: recoveryPath(base, taskPath), ownDir: true }, 'BASE/recovery, named after the file here');
  t.is(keptRecovery(where.path), undefined, 'none yet');
  const fromAgent = { version: '1.0', task_file_path: '/tmp/tasker-nats-0/job-slot1-p1-abc/deploy.txt', task_file_hash: 'ab12', next_task: 1 };
  keepRecovery(where, taskPath, Buffer.from(JSON.stringify(fromAgent)));
  const kept = JSON.parse(readFileSync(where.path, 'utf8'));
  t.deepEqual(kept, { ...fromAgent, task_file_path: taskPath });
  t.is(statSync(where.path).mode & 0o777, 0o600);
  t.is(statSync(join(base, 'recovery')).mode & 0o777, 0o700);
  t.deepEqual(JSON.parse(Buffer.from(keptRecovery(where.path)!, 'base64').toString('utf8')), kept);
  dropRecovery(where.path);
  t.false(existsSync(where.path));
  t.is(keptRecovery(where.path), undefined);
});

test('a template\'s --recovery-file (relative to the workspace, @TASK@ filled): kept there; the operator\'s folder keeps its mode', (t) => {
  const dir = mkdtempSync(join(tmpdir(), 'tasker-recovery-kept-'));
  const workspace = join(dir, 'workspace');
  mkdirSync(join(workspace, 'state'), { recursive: true });
  chmodSync(join(workspace, 'state'), 0o755);
  const taskPath = join(dir, 'tasks', 'deploy.txt');
  const paths = localPaths(`${TEMPLATE} --recovery-file state/one.json`, join(dir, 'TASKER'), workspace);
  const where = paths.recoveryFile(taskPath);
  t.deepEqual(where, { path: join(workspace, 'state', 'one.json'), ownDir: false });
  keepRecovery(where, taskPath, Buffer.from('{"task_file_hash":"x"}'));
  t.is(statSync(where.path).mode & 0o777, 0o600);
  t.is(statSync(join(workspace, 'state')).mode & 0o777, 0o755);
  t.is(localPaths(`${TEMPLATE} --recovery-file=@TASK@.state`, join(dir, 'TASKER'), workspace).recoveryFile(taskPath).path, `${taskPath}.state`);
  // One that names a link here is refused (renaming over it would replace the link), the link kept.
  symlinkSync(where.path, join(workspace, 'state', 'link.json'));
  const link = { path: join(workspace, 'state', 'link.json'), ownDir: false };
  t.throws(() => keepRecovery(link, taskPath, Buffer.from('{"task_file_hash":"y"}')), { message: /--recovery-file must name a regular file .* is a symbolic link/ });
  t.true(lstatSync(link.path).isSymbolicLink());
  // A template tasker refuses (a bad option value): it keeps no state of its own, so the default place.
  t.is(localPaths(`${TEMPLATE} --recovery-file`, join(dir, 'TASKER'), workspace).recoveryFile(taskPath).path, recoveryPath(join(dir, 'TASKER'), taskPath));
});

test('what is not a recovery state is refused, and the kept one stays', (t) => {
  const dir = mkdtempSync(join(tmpdir(), 'tasker-recovery-kept-'));
  const base = join(dir, 'TASKER');
  const taskPath = join(dir, 'a.txt');
  const where = { path: recoveryPath(base, taskPath), ownDir: true };
  keepRecovery(where, taskPath, Buffer.from('{"task_file_hash":"x"}'));
  for (const bad of ['not json', '[]', 'null', '{"task_file_hash":3}']) {
    t.throws(() => keepRecovery(where, taskPath, Buffer.from(bad)), undefined, bad);
  }
  t.like(JSON.parse(readFileSync(where.path, 'utf8')), { task_file_hash: 'x' });
  // A kept state is sent as it is, damaged or not: the agent's run meets it as a local run would.
  writeFileSync(where.path, '{oops');
  t.is(Buffer.from(keptRecovery(where.path)!, 'base64').toString('utf8'), '{oops');
});

test('the template\'s own --output-json: where a local run writes it; none when it names none', (t) => {
  const base = '/b/TASKER';
  const started = new Date(2026, 11, 7, 15, 4, 5, 6);
  const at = (template: string) => localPaths(template, base, '/w').ownJson('/t/deploy.txt', started);
  t.is(at('tasker -r @TASK@'), undefined);
  t.is(at('tasker -r @TASK@ --output-json'), '/b/TASKER/output/deploy_20261207_150405_006.json');
  t.is(at('tasker -r @TASK@ --output-json out/x.json'), '/w/out/x.json');
  t.is(at('tasker -r --output-json=/abs/@TASK@.json @TASK@'), '/abs/t/deploy.txt.json');
  t.is(at('sh -c "tasker --output-json x.json"'), undefined, 'not a tasker command');
});
