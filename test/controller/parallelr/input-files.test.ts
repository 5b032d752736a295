/** parallelr reads its arguments file and its config through the bounded reader. */
import test from 'ava';
import { execFileSync } from 'node:child_process';
import { join } from 'node:path';
import { writeFileSync } from 'node:fs';
import { run } from '../../../controller/parallelr/cli.js';
import { fakeIo, makeSandbox, writeFiles, writeUserConfig } from './helpers.js';

test('-A naming /dev/zero or a FIFO is refused without reading it: exit 31', async (t) => {
  const sb = makeSandbox();
  const fifo = join(sb.dir, 'args.fifo');
  execFileSync('mkfifo', [fifo]);
  for (const [path, what] of [['/dev/zero', 'a character device'], [fifo, 'a FIFO (named pipe)']] as const) {
    const io = fakeIo(sb);
    const code = await run(['-A', path, '-C', 'echo @ARG@'], io);
    t.is(code, 31);
    t.is(io.err(), `parallelr: error: -A ${path}: the file is ${what}, not a regular file\n`);
  }
});

test('-A with invalid UTF-8 or an over-long line is a positioned error: exit 20', async (t) => {
  const sb = makeSandbox();
  writeFileSync(join(sb.dir, 'latin1.txt'), Buffer.from('alpha\nbeta caf\xe9\n', 'latin1'));
  writeFiles(sb.dir, { 'long.txt': `ok\n${'x'.repeat(1024 * 1024 + 10)}\n` });
  const a = fakeIo(sb);
  t.is(await run(['-A', join(sb.dir, 'latin1.txt'), '-C', 'echo @ARG@'], a), 20);
  t.is(a.err(), `parallelr: error: -A ${join(sb.dir, 'latin1.txt')}:2:9: invalid UTF-8: byte 0xe9 does not start a valid character\n`);
  const b = fakeIo(sb);
  t.is(await run(['-A', join(sb.dir, 'long.txt'), '-C', 'echo @ARG@'], b), 20);
  t.is(b.err(), `parallelr: error: -A ${join(sb.dir, 'long.txt')}:2:1048577: line is longer than 1 MiB\n`);
});

test('a config file with invalid UTF-8 is an error at its line and column', async (t) => {
  const sb = makeSandbox();
  const cfg = writeUserConfig(sb, '');
  writeFileSync(cfg, Buffer.from('limits:\n  max_workers: 2 # \xff\n', 'latin1'));
  const io = fakeIo(sb);
  t.is(await run(['--validate-config'], io), 1);
  t.regex(io.err(), new RegExp(`^${cfg.replace(/[.*+?^${}()|[\]\\/]/g, '\\$&')}:2:20: error: invalid UTF-8: byte 0xff does not start a valid character\n`));
});
