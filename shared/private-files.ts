/**
 * Files that may hold secrets (logs, task-file copies, JSON results, summaries, recovery and run
 * state, parallelr results) are written 0600 in 0700 directories, whatever the umask: open/mkdir
 * modes are filtered by the umask (0002 gives 0664, 0200 even takes the owner's write bit), so the
 * mode is set explicitly after creating. A file or directory owned by someone else is left as it is.
 */
import { chmodSync, closeSync, constants, fchmodSync, openSync, statSync, writeFileSync } from 'node:fs';
import { join, relative, sep } from 'node:path';
import { makeDirs } from './make-dirs.js';

export const PRIVATE_FILE_MODE = 0o600;
export const PRIVATE_DIR_MODE = 0o700;

/**
 * Create `dir` (and missing parents) 0700. `tighten`: also set an existing `dir` to 0700 — for the
 * directories TASKER owns (BASE/logs, BASE/tasks, state dirs), not for a folder the operator named
 * for one file (a `--output-json ./out.json` must not change the mode of the current directory).
 */
export function makePrivateDir(dir: string, opts: { tighten?: boolean } = {}): void {
  const first = makeDirs(dir, PRIVATE_DIR_MODE);
  if (first !== undefined) {
    // Every component from the first one created down to `dir` is ours.
    let path = first;
    chmodOwned(path, PRIVATE_DIR_MODE);
    for (const part of relative(first, dir).split(sep).filter(Boolean)) {
      path = join(path, part);
      chmodOwned(path, PRIVATE_DIR_MODE);
    }
  } else if (opts.tighten) chmodOwned(dir, PRIVATE_DIR_MODE);
}

/** `openSync(path, flags)` of a private file: 0600 also when it existed with a wider mode. */
export function openPrivateFile(path: string, flags: string): number {
  const fd = openForWriting(path, flags, PRIVATE_FILE_MODE);
  try {
    fchmodSync(fd, PRIVATE_FILE_MODE);
  } catch {
    /* someone else's file (EPERM): its mode is not ours to change */
  }
  return fd;
}

/** Make an existing file private (a copy made with copyFile keeps its source's mode). */
export function makeFilePrivate(path: string): void {
  chmodOwned(path, PRIVATE_FILE_MODE);
}

/** `writeFileSync` of a private file (in a directory that exists: {@link makePrivateDir}). */
export function writePrivateFile(path: string, data: string | Uint8Array, opts: { flag?: string } = {}): void {
  writeFileSync(path, data, { flag: opts.flag ?? 'w', mode: PRIVATE_FILE_MODE });
  chmodOwned(path, PRIVATE_FILE_MODE);
}

function chmodOwned(path: string, mode: number): void {
  try {
    const st = statSync(path);
    if ((st.mode & 0o777) === mode) return;
    if (process.getuid && st.uid !== process.getuid()) return;
    chmodSync(path, mode);
  } catch {
    /* gone or not ours */
  }
}

/**
 * `openSync` for writing that never waits for a FIFO's reader. Opening a FIFO for writing waits for
 * a reader inside a synchronous call that no signal can interrupt (`--results` on a FIFO nobody
 * read: parallelr ignored SIGTERM for ever), so a FIFO nobody reads is refused at once (ENXIO).
 * The probe that finds the reader stays open until the real descriptor is: closing it first was
 * the reader's end of file, and `cat FIFO` left before the document came.
 */
export function openForWriting(path: string, flags: string | number, mode?: number): number {
  if (!isFifo(path)) return openSync(path, flags, mode);
  let probe: number;
  try {
    probe = openSync(path, constants.O_WRONLY | constants.O_NONBLOCK);
  } catch (e) {
    if ((e as NodeJS.ErrnoException).code !== 'ENXIO') throw e;
    throw Object.assign(new Error(`ENXIO: a FIFO nobody reads, '${path}'`), { code: 'ENXIO' });
  }
  try {
    return openSync(path, flags, mode);
  } finally {
    closeSync(probe);
  }
}

function isFifo(path: string): boolean {
  try {
    return statSync(path).isFIFO();
  } catch {
    return false; // not there (yet): nothing can block
  }
}
