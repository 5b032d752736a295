import { closeSync, fstatSync, openSync, readFileSync } from 'node:fs';
import { copyFile } from 'node:fs/promises';
import { basename, join } from 'node:path';
import { makeFilePrivate, makePrivateDir, writePrivateFile } from '../../shared/private-files.js';
import { hideUrlCredentials } from '../../shared/text/index.js';

/** Files up to this size are copied by a plain read and write; larger ones by copyFile, in the thread pool. */
const SMALL_FILE = 1024 * 1024;
/** The copier gives the event loop back after this long, so running tasks are not held up. */
const SLICE_MS = 1;

/** An input backup under way: the task files are copied in the background, in run order. */
export interface InputBackup {
  dir: string;
  /**
   * Resolves once `taskPath` is in the backup, so a task never starts before its file is saved.
   * Resolves at once for a file that is not part of the backup, and also when copying failed:
   * a failed backup never stops the run (the failure goes to `onWarning`, once).
   */
  before(taskPath: string): Promise<void>;
  /** Resolves when every copy has finished or the backup has given up. */
  finished: Promise<void>;
}

/**
 * Copies what a run is about to execute into `backups/parallelr_<session>/` (peer: input backup):
 * `tasks/<name>` for every task file or template (same-named files from different directories get a
 * numeric prefix), `arguments.txt`, and `session.json`.
 *
 * The directory, `session.json` and `arguments.txt` are written before this returns (a warning
 * instead when that fails). The task files are copied in the background, in the order the pool
 * takes them, in slices of about a millisecond between the pool's own events; the copies run ahead
 * of the tasks and {@link InputBackup.before} holds back only a task whose copy is not done.
 *
 * A small file is copied with a plain read and write: on this ext4, copyFile (ftruncate, fchmod,
 * copy_file_range) took ~0.27 ms per file against ~0.05 ms for read and write, and each async call
 * is several thread-pool round trips on top. Only large files go through copyFile.
 */
export function startInputBackup(opts: {
  dir: string;
  taskFiles: readonly string[];
  argumentsFile?: string;
  session: Record<string, unknown>;
  onWarning: (message: string) => void;
}): InputBackup | { warning: string } {
  const tasks = join(opts.dir, 'tasks');
  try {
    makePrivateDir(opts.dir, { tighten: true });
    makePrivateDir(tasks, { tighten: true });
    if (opts.argumentsFile) writePrivateFile(join(opts.dir, 'arguments.txt'), readFileSync(opts.argumentsFile));
    // A password written in a URL of the command line (`--nats nats://user:pass@host`) is not kept.
    const argv = Array.isArray(opts.session.argv) ? { argv: opts.session.argv.map((a) => (typeof a === 'string' ? hideUrlCredentials(a) : a)) } : {};
    writePrivateFile(join(opts.dir, 'session.json'), JSON.stringify({ ...opts.session, ...argv }, null, 2) + '\n');
  } catch (err) {
    return { warning: failure(err) };
  }

  // One entry per distinct task file, in run order; its promise in `byPath` settles when the copy is done.
  const order: { from: string; to: string; settle: () => void }[] = [];
  const byPath = new Map<string, Promise<void>>();
  const used = new Set<string>();
  for (const file of new Set(opts.taskFiles)) {
    let name = basename(file);
    for (let n = 2; used.has(name); n++) name = `${n}_${basename(file)}`;
    used.add(name);
    let settle!: () => void;
    byPath.set(file, new Promise<void>((resolve) => (settle = resolve)));
    order.push({ from: file, to: join(tasks, name), settle });
  }

  let failed = false;
  const copier = async (): Promise<void> => {
    let slice = performance.now();
    for (const entry of order) {
      if (!failed) {
        try {
          if (!copySmallFile(entry.from, entry.to)) {
            await copyFile(entry.from, entry.to);
            makeFilePrivate(entry.to);
          }
        } catch (err) {
          opts.onWarning(failure(err));
          failed = true;
        }
      }
      entry.settle();
      if (performance.now() - slice >= SLICE_MS) {
        await new Promise((resolve) => setImmediate(resolve));
        slice = performance.now();
      }
    }
  };
  const finished = copier();
  return { dir: opts.dir, before: (taskPath) => byPath.get(taskPath) ?? Promise.resolve(), finished };
}

/** Copies `from` to `to` when it is a small regular file; false (nothing done) when it is large. */
function copySmallFile(from: string, to: string): boolean {
  const fd = openSync(from, 'r');
  try {
    if (fstatSync(fd).size > SMALL_FILE) return false;
    writePrivateFile(to, readFileSync(fd));
    return true;
  } finally {
    closeSync(fd);
  }
}

function failure(err: unknown): string {
  return `input backup failed (the run continues): ${(err as Error).message}`;
}
