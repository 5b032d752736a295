/**
 * `--output-json` where the operator says (shared/write-document.ts): atomically into a file, in
 * place into anything else. Devices are made in a temporary directory (mknod), never the real
 * /dev: renaming over a device replaced it, which is what these tests guard against.
 */
import test from 'ava';
import { spawn } from 'node:child_process';
import { execFileSync } from 'node:child_process';
import { lstatSync, mkdtempSync, readFileSync, readlinkSync, symlinkSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { writeDocument } from '../../shared/write-document.js';

const scratch = () => mkdtempSync(join(tmpdir(), 'tasker-write-doc-'));
const needsRoot = (t: { fail(m: string): void }) => process.getuid?.() !== 0 && (t.fail('needs root (mknod); run the tests as root (CI does)'), true);

test('a file, or nothing yet, is written whole through a temporary file', (t) => {
  const dir = scratch();
  writeDocument(join(dir, 'new.json'), '{"a":1}\n');
  t.is(readFileSync(join(dir, 'new.json'), 'utf8'), '{"a":1}\n');
  writeDocument(join(dir, 'new.json'), '{"b":2}\n');
  t.is(readFileSync(join(dir, 'new.json'), 'utf8'), '{"b":2}\n');
  writeDocument(join(dir, 'sub', 'deeper.json'), '{}\n');
  t.is(readFileSync(join(dir, 'sub', 'deeper.json'), 'utf8'), '{}\n');
});

test('a symbolic link stays a link: the file it points to gets the document', (t) => {
  const dir = scratch();
  writeFileSync(join(dir, 'dated.json'), 'old\n');
  symlinkSync(join(dir, 'dated.json'), join(dir, 'latest.json'));
  writeDocument(join(dir, 'latest.json'), 'new\n');
  t.true(lstatSync(join(dir, 'latest.json')).isSymbolicLink());
  t.is(readlinkSync(join(dir, 'latest.json')), join(dir, 'dated.json'));
  t.is(readFileSync(join(dir, 'dated.json'), 'utf8'), 'new\n');
});

test('a device is written in place and stays a device: a full one says ENOSPC, a null one takes it', (t) => {
  if (needsRoot(t)) return;
  const dir = scratch();
  execFileSync('mknod', ['-m', '666', join(dir, 'full'), 'c', '1', '7']);
  execFileSync('mknod', ['-m', '666', join(dir, 'null'), 'c', '1', '3']);
  t.throws(() => writeDocument(join(dir, 'full'), '{}\n'), { code: 'ENOSPC' });
  t.true(lstatSync(join(dir, 'full')).isCharacterDevice());
  writeDocument(join(dir, 'null'), '{}\n');
  t.true(lstatSync(join(dir, 'null')).isCharacterDevice());
});

test('a FIFO nobody reads is refused at once; one that is read gets the document, every time', async (t) => {
  const dir = scratch();
  const fifo = join(dir, 'fifo');
  execFileSync('mkfifo', [fifo]);
  t.throws(() => writeDocument(fifo, '{}\n'), { code: 'ENXIO', message: `ENXIO: a FIFO nobody reads, '${fifo}'` });
  t.true(lstatSync(fifo).isFIFO());
  // Two hundred readers in turn: the probe that finds a reader once closed before the document was
  // opened, and a reader already waiting took that close for its end of file (EPIPE, or a wait for ever).
  for (let round = 0; round < 200; round++) {
    const reader = spawn('cat', [fifo]);
    let got = '';
    reader.stdout.on('data', (d: Buffer) => (got += d));
    const done = new Promise((r) => reader.once('close', r));
    // The reader opens the FIFO when it starts; try until it has.
    for (let i = 0; ; i++) {
      try {
        writeDocument(fifo, `{"round":${round}}\n`);
        break;
      } catch (e) {
        if ((e as NodeJS.ErrnoException).code !== 'ENXIO' || i > 500) throw e;
        await new Promise((r) => setTimeout(r, 10));
      }
    }
    await done;
    t.is(got, `{"round":${round}}\n`);
  }
  t.true(lstatSync(fifo).isFIFO());
});

test('through a link to /proc/self/fd/1 (what /dev/stdout is), the document goes to the writer\'s stdout and the link stays', async (t) => {
  const dir = scratch();
  const link = join(dir, 'stdout');
  symlinkSync('/proc/self/fd/1', link);
  // Its stdout a pipe, as in `tasker … --output-json /dev/stdout | jq` (Node's own stdio pipes are sockets, which cannot be opened by path).
  const script = `import('${join(import.meta.dirname, '../../shared/write-document.ts')}').then((m) => m.writeDocument(${JSON.stringify(link)}, '{"to":"stdout"}\\n'))`;
  const child = spawn('sh', ['-c', '"$0" --import tsx -e "$1" | cat', process.execPath, script], { stdio: ['ignore', 'pipe', 'inherit'] });
  let out = '';
  child.stdout.on('data', (d: Buffer) => (out += d));
  await new Promise((r) => child.once('close', r));
  t.is(out, '{"to":"stdout"}\n');
  t.true(lstatSync(link).isSymbolicLink());
});

test('tasker --output-json onto a full device (the built bin): a warning, the device left a device, the run\'s own exit code', async (t) => {
  if (needsRoot(t)) return;
  const dir = scratch();
  const full = join(dir, 'full');
  execFileSync('mknod', ['-m', '666', full, 'c', '1', '7']);
  writeFileSync(join(dir, 'one.txt'), 'task=0\nhostname=localhost\ncommand=true\nexec=local\n');
  const tasker = join(import.meta.dirname, '../../dist/controller/cli/tasker.cjs');
  const child = spawn(tasker, ['-r', 'one.txt', '-l', join(dir, 'logs'), '--output-json', full], { cwd: dir, stdio: ['ignore', 'ignore', 'pipe'] });
  let err = '';
  child.stderr.on('data', (d: Buffer) => (err += d));
  const code = await new Promise((r) => child.once('close', r));
  t.is(code, 0);
  t.regex(err, new RegExp(`tasker: warning: could not write --output-json ${full}: ENOSPC`));
  t.true(lstatSync(full).isCharacterDevice());
});
