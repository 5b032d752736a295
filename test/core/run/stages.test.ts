/** The run pipeline's stages called one by one, as parallelr and tests may: each returns its named type. */
import test from 'ava';
import { join } from 'node:path';
import { defaultRegistry } from '../../../shared/exec/exec-types.js';
import { ExitCode } from '../../../shared/exit-codes.js';
import type { RunLog } from '../../../core/engine/run-log.js';
import { createExecTypes } from '../../../core/run/exec-types.js';
import { loadRun } from '../../../core/run/load.js';
import { preflightRun } from '../../../core/run/preflight.js';
import { parseRunRequest } from '../../../core/run/request.js';
import { validateRun } from '../../../core/run/validate.js';
import type { ValidatedRun } from '../../../core/run/types.js';
import { fakeIo, FIXTURE_BIN, tempWith } from '../../helpers/tasker.js';

const local = (id: number, command: string, ...extra: string[]) => [`task=${id}`, 'hostname=localhost', 'exec=local', `command=${command}`, ...extra, ''].join('\n');

/** request → load → validate for `f.txt` holding `text`, with `argv` before the file name. */
async function validated(text: string, argv: string[] = [], env: NodeJS.ProcessEnv = {}) {
  const dir = tempWith({ 'f.txt': text });
  const fake = fakeIo({ cwd: dir, env: { PATH: `${FIXTURE_BIN}:/usr/bin:/bin`, HOME: dir, ...env } });
  const request = parseRunRequest([...argv, 'f.txt'], fake.io);
  if ('exitCode' in request) throw new Error(`request ended: ${fake.stderr()}`);
  const made: { log?: RunLog } = {};
  const loaded = loadRun(request, fake.io, made);
  if ('exitCode' in loaded) throw new Error(`load ended: ${fake.stderr()}`);
  const result = await validateRun(loaded, {});
  made.log?.flush();
  return { dir, fake, result };
}

test('request: --help and a missing task file end the run with their exit codes', (t) => {
  const fake = fakeIo({ cwd: '/' });
  t.deepEqual(parseRunRequest(['--help'], fake.io), { exitCode: ExitCode.SUCCESS });
  t.deepEqual(parseRunRequest(['-r'], fake.io), { exitCode: ExitCode.USAGE });
  t.regex(fake.stderr(), /the task file is missing/);
});

test('validate: a ValidatedRun with the workflow, the defaults decided and the exec types resolved', async (t) => {
  const { dir, result } = await validated(local(0, 'true') + local(1, 'echo', 'arguments=hi'), ['-t', 'local'], { TASK_EXECUTOR_TIMEOUT: '7' });
  if ('exitCode' in result) return t.fail('validation ended the run');
  t.is(result.failure, undefined);
  const run: ValidatedRun = result.run;
  t.is(run.workflow.tasks.size, 2);
  t.is(run.defaultTimeoutSec, 7);
  t.is(run.base, join(dir, 'TASKER'));
  t.is(run.execTypes.defaultName, 'local');
  t.is(run.execTypes.defaultSource, '-t');
  t.deepEqual(run.execTypes.ofTask(run.workflow.tasks.get(0)!), { name: 'local', canonical: 'local' });
});

test('validate: an unknown --start-from is a ValidationFailure of its phase (recorded, exit 12)', async (t) => {
  const { result } = await validated(local(0, 'true'), ['--start-from', '9']);
  if ('exitCode' in result) return t.fail('validation ended the run');
  t.deepEqual(result.failure, { phase: 'start_from_validation', exitCode: ExitCode.START_FROM_INVALID });
});

test('preflight: a used exec type whose binary is not on PATH fails before any task (exit 20)', async (t) => {
  const text = ['task=0', 'hostname=web01', 'exec=pbrun', 'command=true', ''].join('\n');
  const { fake, result } = await validated(text, ['--skip-host-validation'], { PATH: '/nonexistent' });
  if ('exitCode' in result) return t.fail('validation ended the run');
  const prepared = await preflightRun(result.run, {});
  result.run.log.flush();
  t.false('run' in prepared);
  t.is(prepared.exitCode, ExitCode.VALIDATION_FAILED);
  t.regex(fake.stdout() + fake.stderr(), /pbrun/);
});

test('exec types: each exec text is resolved once per run, globals substituted, names lower-cased', (t) => {
  const types = createExecTypes(defaultRegistry(), undefined, { TASK_EXECUTOR_TYPE: 'Local' });
  t.is(types.defaultName, 'local');
  t.is(types.defaultSource, 'TASK_EXECUTOR_TYPE');
  types.bind({ globals: new Map([['MODE', 'SHELL']]) } as unknown as ValidatedRun['workflow']);
  const task = { exec: '@MODE@' } as unknown as Parameters<typeof types.ofTask>[0];
  const first = types.ofTask(task);
  t.deepEqual(first, { name: 'shell', canonical: 'shell' });
  t.is(types.ofTask({ ...task }), first, 'the same exec text gives the same resolved object');
  t.is(types.canonical('nonesuch'), undefined);
  t.is(types.describeCommand('local', 'h', 'echo', 'a b'), 'echo a b');
});
