/** The error model (shared/errors): one base, a stable code per class, and the launcher's errors in it. */
import test from 'ava';
import { existsSync, readdirSync, readFileSync } from 'node:fs';
import { join, relative } from 'node:path';
import { fileURLToPath } from 'node:url';
import * as errors from '../../../shared/errors/index.js';
import { TaskerError, LauncherUnavailableError, StartError } from '../../../shared/errors/index.js';
import { getLauncher, Launcher } from '../../../shared/exec/launcher.js';

/** Every error class the module exports, with how to build one (the base is abstract). */
const CLASSES: [string, () => TaskerError][] = [
  ['UsageError', () => new errors.UsageError('m', { cause: 'c' })],
  ['ConfigError', () => new errors.ConfigError('m', { cause: 'c' })],
  ['InputError', () => new errors.InputError('m', 31, { cause: 'c' })],
  ['SetupError', () => new errors.SetupError('m', { cause: 'c' })],
  ['ConnectError', () => new errors.ConnectError('m', { cause: 'c', target: 'jump1' })],
  ['BusyError', () => new errors.BusyError('m', { cause: 'c' })],
  ['AbortedError', () => new errors.AbortedError('m', { cause: 'c' })],
  ['StartError', () => new errors.StartError('ENOENT', 'exec')],
  ['LauncherUnavailableError', () => new errors.LauncherUnavailableError('m', { cause: 'c' })],
  ['StoreError', () => new errors.StoreError('m', { cause: 'c', transient: true, status: 503 })],
];

test('every exported error class is listed here, is a TaskerError, is named after itself and has a code of its own', (t) => {
  const exported = Object.keys(errors).filter((k) => k !== 'TaskerError').sort();
  t.deepEqual(CLASSES.map(([name]) => name).sort(), exported);
  const codes = new Set<string>();
  for (const [name, make] of CLASSES) {
    const e = make();
    t.true(e instanceof TaskerError && e instanceof Error, name);
    t.is(e.name, name);
    t.false(codes.has(e.code), `${name}: code ${e.code} is taken`);
    codes.add(e.code);
    if (name !== 'StartError') t.is(e.cause, 'c', `${name} keeps its cause`);
  }
});

test('the launcher rejects a program it cannot start with a StartError: errno and step, message "<step>: <errno>"', async (t) => {
  const launcher = getLauncher();
  if (!launcher) return t.fail('dist/native/tasker-launch is missing: run npm run build with a C compiler');
  const err = await t.throwsAsync(launcher.start(['/nonexistent/tasker-errors-test'], undefined, process.env), { instanceOf: StartError });
  t.is(err!.code, 'START');
  t.is(err!.errno, 'ENOENT');
  t.is(err!.message, `${err!.stage}: ENOENT`);
  t.true(err!.stage.length > 0);
});

test('a launcher that cannot run rejects every start with a LauncherUnavailableError naming why', async (t) => {
  const launcher = new Launcher('/nonexistent/tasker-launch');
  const err = await t.throwsAsync(launcher.start(['true'], undefined, process.env), { instanceOf: LauncherUnavailableError });
  t.is(err!.code, 'LAUNCHER');
  t.regex(err!.message, /^process launcher cannot start \/nonexistent\/tasker-launch: spawn \/nonexistent\/tasker-launch ENOENT$/);
  const again = await t.throwsAsync(launcher.start(['true'], undefined, process.env), { instanceOf: LauncherUnavailableError });
  t.is(again!.message, err!.message);
});

test('one model: no error class in the sources (controller/, agent/, shared/, core/) extends Error except TaskerError itself', (t) => {
  const root = fileURLToPath(new URL('../../../', import.meta.url));
  const found: string[] = [];
  for (const top of ['controller', 'agent', 'shared', 'core'].filter((d) => existsSync(join(root, d)))) {
    for (const entry of readdirSync(join(root, top), { recursive: true, withFileTypes: true })) {
      if (!entry.isFile() || !entry.name.endsWith('.ts')) continue;
      const file = join(entry.parentPath, entry.name);
      for (const m of readFileSync(file, 'utf8').matchAll(/class (\w+) extends Error\b/g)) found.push(`${relative(root, file)}: ${m[1]}`);
    }
  }
  t.deepEqual(found, ['shared/errors/errors.ts: TaskerError']);
});
