/**
 * `mkdir -p`, one directory at a time: what `mkdirSync(dir, { recursive: true })` does, without its
 * endless loop. Node's recursive mkdir retries a directory whose creation fails with ENOENT after
 * making its parent, for ever, where a filesystem refuses new directories that way although the
 * parent exists (`/proc`, `/sys`, an automount such as `/net/HOST`): `tasker -l /proc/x` spun at
 * 100 % CPU. Here the second ENOENT is the answer: thrown, with the path.
 */
import { lstatSync, mkdirSync, statSync } from 'node:fs';
import { dirname, resolve } from 'node:path';

/** Make `dir` and its missing parents with `mode`; returns the first directory made (undefined when all existed), as `mkdirSync` recursive does. */
export function makeDirs(dir: string, mode = 0o777): string | undefined {
  const path = resolve(dir);
  const made = tryMkdir(path, mode);
  if (made !== 'missing-parent') return made;
  const parent = dirname(path);
  if (parent === path) return undefined; // the root exists
  const first = makeDirs(parent, mode);
  const again = tryMkdir(path, mode);
  if (again === 'missing-parent') {
    throw Object.assign(new Error(`ENOENT: this filesystem does not take new directories, mkdir '${path}'`), { code: 'ENOENT', path, syscall: 'mkdir' });
  }
  return first ?? again;
}

/** The path when made, undefined when it is a directory already, 'missing-parent' on ENOENT; throws anything else. */
function tryMkdir(path: string, mode: number): string | undefined | 'missing-parent' {
  try {
    mkdirSync(path, { mode });
    return path;
  } catch (e) {
    const code = (e as NodeJS.ErrnoException).code;
    if (code === 'ENOENT') return 'missing-parent';
    if (code === 'EEXIST' && isDirectory(path)) return undefined;
    if (code === 'EEXIST' && isSymbolicLink(path)) {
      throw Object.assign(new Error(`ENOENT: a symbolic link to a missing directory, '${path}'`), { code: 'ENOENT', path, syscall: 'mkdir' });
    }
    if (code === 'EEXIST') throw Object.assign(new Error(`ENOTDIR: not a directory, '${path}'`), { code: 'ENOTDIR', path, syscall: 'mkdir' });
    throw e;
  }
}

function isDirectory(path: string): boolean {
  try {
    return statSync(path).isDirectory();
  } catch {
    return false;
  }
}

function isSymbolicLink(path: string): boolean {
  try {
    return lstatSync(path).isSymbolicLink();
  } catch {
    return false;
  }
}
