import test from 'ava';
import { parseFlags } from '../../../agent/cli/parse-flags.js';
import { UsageError } from '../../../shared/errors/index.js';
import { spawnSync } from 'node:child_process';
import { fileURLToPath } from 'node:url';
import { run } from '../../../agent/cli/run.js';

const ROOT = fileURLToPath(new URL('../../../', import.meta.url));
const WORKER_MAIN = 'agent/nats/worker-main.ts';
const SPEC = { dir: 'string', san: 'list', client: 'boolean' } as const;

test('values, lists (repeated and comma-separated), switches and positionals', (t) => {
  const r = parseFlags(['init', '--dir', 'd', '--san', 'a, b', '--san=c', '--client', 'x', '--', '--not-a-flag'], { ...SPEC });
  t.deepEqual(r.flags, { dir: 'd', san: ['a', 'b', 'c'], client: true });
  t.deepEqual(r.positional, ['init', 'x', '--not-a-flag']);
  t.deepEqual(parseFlags(['--dir=', '--dir=-5'], { ...SPEC }).flags, { dir: '-5' });
});

const bad = (argv: string[], message: string) => (t: import('ava').ExecutionContext) => {
  const e = t.throws(() => parseFlags(argv, { ...SPEC }), { instanceOf: UsageError });
  t.is(e?.message, message);
};
test('unknown long option', bad(['--bogus', 'x'], 'unknown option --bogus'));
test('unknown short option', bad(['-x'], 'unknown option -x'));
test('missing value at the end', bad(['--dir'], '--dir needs a value'));
test('a flag where the value should be', bad(['--dir', '--client'], '--dir needs a value'));
test('a value given to a switch', bad(['--client=yes'], '--client takes no value'));

function io() {
  let out = '';
  let err = '';
  return { stdout: { write: (s: string) => (out += s) }, stderr: { write: (s: string) => (err += s) }, env: {}, cwd: '/', isTTY: false, out: () => out, err: () => err };
}

test('tasker-agent certs: a bad flag is exit 2 with the message and the usage lines', async (t) => {
  const i = io();
  t.is(await run(['certs', 'init', '--dir'], i), 2);
  t.regex(i.err(), /^tasker-agent certs: --dir needs a value\nusage: tasker-agent certs init --dir DIR/);
});

test('worker-main: unknown flag, missing value and stray word are exit 2 with the usage line', (t) => {
  for (const [argv, message] of [
    [['--bogus', 'x'], 'unknown option --bogus'],
    [['--nats'], '--nats needs a value'],
    [['stray'], 'unknown argument `stray`'],
  ] as const) {
    const r = spawnSync(process.execPath, ['--import', 'tsx', WORKER_MAIN, ...argv], { cwd: ROOT, encoding: 'utf8' });
    t.is(r.status, 2, r.stderr);
    t.regex(r.stderr, new RegExp(`^worker-main: ${message.replace(/[-\\/^$*+?.()|[\]{}]/g, '\\$&')}\\nusage: worker-main --nats URL`));
  }
});
