import test from 'ava';
import { run } from '../../../controller/parallelr/cli.js';
import { fakeIo, makeSandbox, writeFiles, writeUserConfig } from './helpers.js';

/** The status lines drawn on the (fake) terminal. */
const drawn = (err: string) => err.split(/\r\x1b\[2K|\n/).filter((l) => /^\[[#-]*\] \d+\/\d+ ok /.test(l));

test('a task refused before it starts (too big) does not lower the running count of the others', async (t) => {
  const sb = makeSandbox();
  writeFiles(sb.tasks, { '1-big.sh': `# ${'x'.repeat(200)}\n`, '2.sh': 'exit 0\n', '3.sh': 'exit 0\n', '4.sh': 'exit 0\n' });
  writeUserConfig(sb, 'advanced:\n  max_file_size: 100\n');
  const io = fakeIo(sb, { isTTY: true });
  t.is(await run(['-T', 'tasks', '-C', 'sh @TASK@', '-r', '-m', '2'], io), 1);
  const lines = drawn(io.err());
  t.true(lines.length > 0, io.err());
  for (const l of lines) t.notRegex(l, /running -/, l);
  t.regex(lines.at(-1)!, /4\/4 ok 3 failed 1 running 0 /);
});
