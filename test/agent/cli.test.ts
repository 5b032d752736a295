import test from 'ava';
import { existsSync, statSync } from 'node:fs';
import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { run } from '../../agent/cli/run.js';
import type { CliIo } from '../../shared/cli-io.js';

function fakeIo(): CliIo & { out: string; err: string } {
  const io = {
    out: '',
    err: '',
    stdout: { write: (s: string) => (io.out += s) },
    stderr: { write: (s: string) => (io.err += s) },
    env: {},
    cwd: process.cwd(),
    isTTY: false,
  };
  return io;
}

test('--version and --help', async (t) => {
  const io = fakeIo();
  t.is(await run(['--version'], io), 0);
  t.is(io.out, 'tasker-agent 0.1.0\n');
  const help = fakeIo();
  t.is(await run(['--help'], help), 0);
  t.regex(help.out, /usage: tasker-agent serve --listen unix:PATH\|HOST:PORT/);
  t.regex(help.out, /tasker-agent certs init --dir DIR/);
  t.regex(help.out, /tasker-agent install --ssh USER@HOST/);
});

test('unknown command is a usage error (exit 2)', async (t) => {
  const io = fakeIo();
  t.is(await run(['frobnicate'], io), 2);
  t.regex(io.err, /unknown command `frobnicate`/);
});

test('certs init/issue create a CA and keys with private modes; init refuses to overwrite', async (t) => {
  const dir = await mkdtemp(join(tmpdir(), 'tasker-certs-cli-'));
  try {
    const io = fakeIo();
    t.is(await run(['certs', 'init', '--dir', dir], io), 0);
    t.is(await run(['certs', 'issue', '--dir', dir, '--name', 'jump1', '--san', '10.0.0.5', '--server'], io), 0);
    t.true(existsSync(join(dir, 'jump1.crt')));
    t.is(statSync(join(dir, 'jump1.key')).mode & 0o777, 0o600);
    t.is(statSync(join(dir, 'ca.key')).mode & 0o777, 0o600);
    const again = fakeIo();
    t.is(await run(['certs', 'init', '--dir', dir], again), 1);
    t.regex(again.err, /already holds a CA/);
    const bad = fakeIo();
    t.is(await run(['certs', 'issue', '--dir', dir, '--name', 'bad name'], bad), 2);
    t.regex(bad.err, /--name must be letters, digits/);
  } finally {
    await rm(dir, { recursive: true, force: true });
  }
});
