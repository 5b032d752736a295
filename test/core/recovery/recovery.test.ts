import test from 'ava';
import { spawn } from 'node:child_process';
import { createHash } from 'node:crypto';
import { existsSync, mkdtempSync, readdirSync, readFileSync, statSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { dirname, join, resolve } from 'node:path';
import { fileURLToPath } from 'node:url';
import { defaultRegistry, resolveExecType } from '../../../shared/exec/index.js';
import { parseTaskFile } from '../../../shared/taskfile/parser.js';
import { buildWorkflow } from '../../../shared/taskfile/validate.js';
import type { Workflow } from '../../../shared/taskfile/model.js';
import { createLocalExecutor } from '../../../core/executors/local-executor.js';
import { RunLog } from '../../../core/engine/run-log.js';
import { runWorkflow } from '../../../core/engine/run-workflow.js';
import type { RunOutcome } from '../../../core/engine/types.js';
import {
  deleteRecovery, formatRecoveryInfo, loadRecovery, recoveryPath, restoreResume, restoreStore, saveRecovery,
  stateFromOutcome, type RecoveryState,
} from '../../../core/recovery/index.js';

const HERE = dirname(fileURLToPath(import.meta.url));
const registry = defaultRegistry();

function tempDir(): string {
  return mkdtempSync(join(tmpdir(), 'tasker-recovery-'));
}

function build(text: string, env: NodeJS.ProcessEnv = {}): Workflow {
  const { workflow, diagnostics } = buildWorkflow(parseTaskFile(text, 'wf.txt').ast, { env, execTypes: new Set(['local', 'shell']) });
  // A resumed run handles unset variables of globals itself (the CLI drops those errors when it resumes).
  const errors = diagnostics.filter((d) => d.severity === 'error' && d.code !== 'UNSET_ENV_VAR');
  if (errors.length) throw new Error(errors.map((d) => d.message).join('\n'));
  return workflow;
}

interface Run {
  outcome: RunOutcome;
  state: RecoveryState | undefined;
}

/**
 * Run a workflow in-process like the CLI will: save the state at every checkpoint, and on an
 * unrouted failure save it with the failed task as the resume point.
 */
async function run(dir: string, taskFile: string, text: string, env: NodeJS.ProcessEnv, resume?: RecoveryState): Promise<Run> {
  const path = recoveryPath(join(dir, 'base'), taskFile);
  let workflow = build(text, env);
  let resumeOpt;
  let created: string | undefined;
  if (resume) {
    const loaded = loadRecovery(path, { taskText: text, workflow, env });
    if (!('resumeAt' in loaded)) throw new Error(JSON.stringify(loaded));
    workflow = { ...workflow, globals: loaded.globals };
    resumeOpt = restoreResume(loaded.state, loaded.globals);
    created = loaded.state.created;
  }
  const log = new RunLog({ console: { write: () => true }, level: 'ERROR' });
  const executor = createLocalExecutor({ registry, env, cwd: dir });
  let last: RecoveryState | undefined;
  const meta = { taskFile, taskText: text, workflow, created };
  const outcome = await runWorkflow({
    workflow, log, runId: 'r', defaultExecType: 'local', defaultTimeoutSec: 30,
    executorFor: () => executor, canonicalExecType: (n) => resolveExecType(registry, n)?.name,
    describeCommand: (_e, _h, c, a) => `${c} ${a}`.trim(), env, resume: resumeOpt,
    onCheckpoint: (next, s) => {
      last = stateFromOutcome(s.outcome, s.store, next, meta);
      saveRecovery(path, last);
    },
  });
  if (outcome.status === 'failed' && outcome.failedTask !== undefined) {
    // The store passed to checkpoints is the engine's; rebuild one from the outcome for the final save.
    const store = restoreStore(last!, workflow.globals);
    last = stateFromOutcome(outcome, store, outcome.failedTask, meta);
    saveRecovery(path, last);
  }
  return { outcome, state: last };
}

const FLAKY = (dir: string): string => [
  'SECRET_TOKEN=hunter22',
  'TARGET=$TASKER_TARGET',
  'task=0', 'hostname=localhost', 'exec=local', 'command=echo', 'arguments=first @SECRET_TOKEN@',
  'task=1', 'hostname=localhost', 'exec=shell', 'command=echo run >> ' + join(dir, 'count1'),
  'task=2', 'hostname=localhost', 'exec=shell', `command=echo run >> ${join(dir, 'count2')}; test -e ${join(dir, 'fixed')}`,
  'task=3', 'hostname=localhost', 'exec=local', 'command=echo', 'arguments=got @0_stdout@ to @TARGET@',
  '',
].join('\n');

test('a failed run resumes at the failed task with the results it had, each task run the right number of times', async (t) => {
  const dir = tempDir();
  const text = FLAKY(dir);
  const env = { PATH: process.env.PATH, TASKER_TARGET: 'web01' };
  const first = await run(dir, join(dir, 'wf.txt'), text, env);
  t.is(first.outcome.status, 'failed');
  t.is(first.state!.next_task, 2, 'resume point is the failed task');
  const path = recoveryPath(join(dir, 'base'), join(dir, 'wf.txt'));
  t.true(existsSync(path));

  writeFileSync(join(dir, 'fixed'), '');
  const second = await run(dir, join(dir, 'wf.txt'), text, env, first.state);
  t.is(second.outcome.status, 'success');
  t.deepEqual(second.outcome.executionPath, [0, 1, 2, 2, 3]);
  t.is(readFileSync(join(dir, 'count1'), 'utf8'), 'run\n', 'task 1 ran once');
  t.is(readFileSync(join(dir, 'count2'), 'utf8'), 'run\nrun\n', 'task 2 ran twice');
  t.is(second.outcome.results.get('3')!.stdout, 'got first <masked len=8> to web01\n', '@0_stdout@ came back from the file (masked: it held a secret)');
  t.deepEqual([...second.outcome.results.keys()], ['0', '1', '2', '3']);
});

test('the file is 0600 in a 0700 directory and holds no secret value', async (t) => {
  const dir = tempDir();
  const env = { PATH: process.env.PATH, TASKER_TARGET: 'web01', SECRET_KEY_SRC: 'sup3rsecret' };
  const text = FLAKY(dir).replace('TARGET=$TASKER_TARGET', 'TARGET=$TASKER_TARGET\nAPI_KEY=$SECRET_KEY_SRC');
  await run(dir, join(dir, 'wf.txt'), text, env);
  const path = recoveryPath(join(dir, 'base'), join(dir, 'wf.txt'));
  t.is(statSync(path).mode & 0o777, 0o600);
  t.is(statSync(dirname(path)).mode & 0o777, 0o700);
  const raw = readFileSync(path, 'utf8');
  t.false(raw.includes('hunter22'));
  t.false(raw.includes('sup3rsecret'));
  const state = JSON.parse(raw) as RecoveryState;
  t.deepEqual(state.global_vars, { TARGET: 'web01' }, 'only the non-secret env global keeps its value');
  t.deepEqual(state.global_vars_metadata, {
    SECRET_TOKEN: { source: 'literal' },
    TARGET: { source: 'env', template: '$TASKER_TARGET' },
    API_KEY: { source: 'env', template: '$SECRET_KEY_SRC', secret: true },
  });
});

test('path is <base>/recovery/<stem>_<sha256(abs path)[:8]>.recovery.json', (t) => {
  const abs = resolve('some/dir/deploy.txt');
  const hash = createHash('sha256').update(abs).digest('hex').slice(0, 8);
  t.is(recoveryPath('/b', 'some/dir/deploy.txt'), `/b/recovery/deploy_${hash}.recovery.json`);
});

function sampleState(text: string, over: Partial<RecoveryState> = {}): RecoveryState {
  const wf = build(text);
  const outcome: RunOutcome = {
    exitCode: 0, status: 'success', reason: 'completed', results: new Map(), executionPath: [0, 1], loopIterations: [], skippedTasks: [],
    finalHostname: '', finalCommand: '',
  };
  const r = (key: string, stdout: string) => ({ key, exitCode: 0, stdout, stderr: '', success: true, timedOut: false, skipped: false, durationMs: 5, hostname: 'h', command: 'echo' });
  outcome.results.set('0', r('0', 'zero\n'));
  outcome.results.set('1', r('1', 'one\n'));
  const store = restoreStore({ latest_by_id: {}, result_order: [], task_results: {} } as unknown as RecoveryState, wf.globals);
  store.byId.set(0, outcome.results.get('0')!);
  store.byId.set(1, outcome.results.get('1')!);
  return { ...stateFromOutcome(outcome, store, 2, { taskFile: '/x/wf.txt', taskText: text, workflow: wf }), ...over };
}

const THREE = 'task=0\nhostname=h\nexec=local\ncommand=echo\ntask=1\nhostname=h\nexec=local\ncommand=echo\ntask=2\nhostname=h\nexec=local\ncommand=echo\narguments=@0_stdout@ @1_stdout@\n';

test('save/load round trip restores results, order, store and resume point', (t) => {
  const dir = tempDir();
  const path = join(dir, 'recovery', 'wf.recovery.json');
  const state = sampleState(THREE);
  saveRecovery(path, state);
  const loaded = loadRecovery(path, { taskText: THREE, workflow: build(THREE), env: {} });
  if (!('resumeAt' in loaded)) return t.fail(JSON.stringify(loaded));
  t.deepEqual(loaded.state, state);
  t.is(loaded.resumeAt, 2);
  const resume = restoreResume(loaded.state, loaded.globals)!;
  t.is(resume.next, 2);
  t.deepEqual(resume.outcome.executionPath, [0, 1]);
  t.is(resume.store.resolve('@0_stdout@/@1_exit@/@1_success@'), 'zero/0/True');
  t.deepEqual([...resume.outcome.results.keys()], ['0', '1']);
});

test('a changed task file refuses the resume with exit 12', (t) => {
  const dir = tempDir();
  const path = join(dir, 'r.json');
  saveRecovery(path, sampleState(THREE));
  const changed = THREE.replace('arguments=', 'arguments=x ');
  const r = loadRecovery(path, { taskText: changed, workflow: build(changed), env: {} });
  t.like(r, { exitCode: 12 });
  t.regex((r as { error: string }).error, /task file \/x\/wf\.txt has changed since the run was saved/);
});

test('another version refuses the resume', (t) => {
  const dir = tempDir();
  const path = join(dir, 'r.json');
  writeFileSync(path, JSON.stringify({ ...sampleState(THREE), version: '2.0' }));
  const r = loadRecovery(path, { taskText: THREE, workflow: build(THREE), env: {} });
  t.like(r, { exitCode: 12 });
  t.regex((r as { error: string }).error, /version '2\.0', this tasker reads version 1\.0/);
});

test('a garbled file refuses the resume with a readable message', (t) => {
  const dir = tempDir();
  const path = join(dir, 'r.json');
  writeFileSync(path, '{"version": "1.0", "task_');
  const r = loadRecovery(path, { taskText: THREE, workflow: build(THREE), env: {} });
  t.like(r, { exitCode: 12 });
  t.regex((r as { error: string }).error, /not readable JSON/);
});

test('no file → state null', (t) => {
  t.deepEqual(loadRecovery(join(tempDir(), 'none.json'), { taskText: THREE, workflow: build(THREE), env: {} }), { state: null });
});

test('a later task reading @N_stdout@ of an executed task whose result is missing refuses the resume', (t) => {
  const dir = tempDir();
  const path = join(dir, 'r.json');
  const s = sampleState(THREE);
  delete s.task_results['1'];
  delete s.latest_by_id['1'];
  s.result_order = ['0'];
  saveRecovery(path, s);
  const r = loadRecovery(path, { taskText: THREE, workflow: build(THREE), env: {} });
  t.like(r, { exitCode: 12 });
  t.regex((r as { error: string }).error, /resuming at task 2 is unsafe: task 2 \(line 13\) uses @1_stdout@, but no result of task 1 was saved/);
});

test('a task jumped over by the flow has no result, and that is not a reason to refuse', (t) => {
  const dir = tempDir();
  const path = join(dir, 'r.json');
  const s = sampleState(THREE, { execution_path: [0], skipped_tasks: [1] });
  delete s.task_results['1'];
  delete s.latest_by_id['1'];
  saveRecovery(path, s);
  t.like(loadRecovery(path, { taskText: THREE, workflow: build(THREE), env: {} }), { resumeAt: 2 });
});

test('env-derived globals: changed values are reported, missing ones fall back to the saved value', (t) => {
  const dir = tempDir();
  const text = 'HOST=$TASKER_DEPLOY_HOST\nBUILD=$TASKER_BUILD_ID\nPLAIN=p\ntask=0\nhostname=h\nexec=local\ncommand=echo\narguments=@HOST@ @BUILD@\n';
  const env1 = { TASKER_DEPLOY_HOST: 'server001', TASKER_BUILD_ID: 'b1' };
  const wf1 = build(text, env1);
  const outcome: RunOutcome = { exitCode: 0, status: 'success', reason: '', results: new Map(), executionPath: [], loopIterations: [], skippedTasks: [], finalHostname: '', finalCommand: '' };
  const state = stateFromOutcome(outcome, restoreStore({ latest_by_id: {}, result_order: [], task_results: {} } as unknown as RecoveryState, wf1.globals), 0, { taskFile: 'wf.txt', taskText: text, workflow: wf1 });
  const path = join(dir, 'r.json');
  saveRecovery(path, state);
  const env2 = { TASKER_BUILD_ID: 'b2' };
  const r = loadRecovery(path, { taskText: text, workflow: build(text, env2), env: env2 });
  if (!('resumeAt' in r)) return t.fail(JSON.stringify(r));
  t.deepEqual(r.envChanges, [
    { name: 'HOST', kind: 'missing', secret: false, variables: ['TASKER_DEPLOY_HOST'], using: 'saved' },
    { name: 'BUILD', kind: 'changed', secret: false, variables: [], using: 'current' },
  ]);
  t.is(r.globals.get('HOST'), 'server001');
  t.is(r.globals.get('BUILD'), 'b2');
  t.is(r.globals.get('PLAIN'), 'p');
});

test('--show-recovery-info text', (t) => {
  const s = sampleState(THREE, { created: '2026-11-28T01:00:00.000Z', updated: '2026-11-28T01:00:05.000Z' });
  t.is(formatRecoveryInfo(s, '/b/recovery/wf_1.recovery.json'), [
    'Recovery file: /b/recovery/wf_1.recovery.json',
    'Task file:     /x/wf.txt',
    `File hash:     ${s.task_file_hash.slice(0, 16)}…`,
    'Created:       2026-11-28T01:00:00.000Z',
    'Updated:       2026-11-28T01:00:05.000Z',
    'Executed:      0 → 1',
    'Results:       2 (2 succeeded, 0 failed)',
    'Resume at:     task 2',
    '  Task 0: exit 0, success',
    '  Task 1: exit 0, success',
  ].join('\n'));
});

test('crash safety: a writer killed with SIGKILL at any moment leaves a complete file', async (t) => {
  const dir = tempDir();
  const path = join(dir, 'recovery', 'wf.recovery.json');
  for (let round = 0; round < 3; round++) {
    const child = spawn(process.execPath, ['--import', 'tsx', join(HERE, 'fixtures', 'save-loop.ts'), path], { stdio: ['ignore', 'pipe', 'inherit'] });
    await new Promise<void>((ok) => child.stdout.once('data', () => ok()));
    await new Promise((ok) => setTimeout(ok, 20 + round * 37)); // let it get somewhere mid-write
    child.kill('SIGKILL');
    await new Promise((ok) => child.once('exit', ok));
    const state = JSON.parse(readFileSync(path, 'utf8')) as RecoveryState;
    const n = Number(state.updated);
    t.deepEqual(state.execution_path, [n]);
    t.is(state.task_results[String(n)]!.stdout.length, 200_000);
  }
  deleteRecovery(path);
  t.deepEqual(readdirSync(dirname(path)), [], 'delete also removes temp files a killed writer left');
});

test('a stale partial temp file beside the state never replaces it', (t) => {
  const dir = tempDir();
  const path = join(dir, 'recovery', 'wf.recovery.json');
  const s = sampleState(THREE);
  saveRecovery(path, s);
  writeFileSync(`${path}.99999.tmp`, '{"version":"1.0","task_file_h');
  const r = loadRecovery(path, { taskText: THREE, workflow: build(THREE), env: {} });
  t.like(r, { resumeAt: 2 });
  saveRecovery(path, { ...s, next_task: null });
  t.is((JSON.parse(readFileSync(path, 'utf8')) as RecoveryState).next_task, null);
});
