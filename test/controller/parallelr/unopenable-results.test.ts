/**
 * A run whose own files cannot be opened stops before any task, with one line that names the file
 * and what to do — not "internal error" (exit 70), and never a hang: a FIFO nobody reads is refused
 * at once (opening it for writing waited for ever, deaf to SIGTERM).
 */
import test from 'ava';
import { execFileSync } from 'node:child_process';
import { readdirSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { run } from '../../../controller/parallelr/cli.js';
import { fakeIo, makeSandbox, writeFiles } from './helpers.js';

test('--results on a FIFO nobody reads, on a path through a file, or where no directory can be made: exit 1, named, nothing run', async (t) => {
  const sb = makeSandbox();
  writeFiles(sb.tasks, { 'a.task': '', 'b.task': '' });
  const fifo = join(sb.dir, 'fifo');
  execFileSync('mkfifo', [fifo]);
  writeFileSync(join(sb.dir, 'plain'), '');
  const cases: [string, string][] = [
    [fifo, `ENXIO: a FIFO nobody reads, '${fifo}'`],
    [join(sb.dir, 'plain', 'r.jsonl'), `ENOTDIR: not a directory, '${join(sb.dir, 'plain')}'`],
    ['/proc/tasker-no-such/r.jsonl', "ENOENT: this filesystem does not take new directories, mkdir '/proc/tasker-no-such'"],
  ];
  for (const [results, why] of cases) {
    const io = fakeIo(sb);
    t.is(await run(['-T', sb.tasks, '-C', 'touch @TASK@.ran', '-r', '--results', results], io), 1, results);
    t.is(io.err(), `parallelr: error: cannot open the results file ${results} (${why}): choose another with --results FILE; nothing was run\n`);
  }
  t.deepEqual(readdirSync(sb.tasks).filter((n) => n.endsWith('.ran')), [], 'no task ran');
});
