import { accessSync, constants, statSync } from 'node:fs';
import { delimiter, isAbsolute, join, resolve } from 'node:path';

/**
 * Where `name` would be found by execvp with this PATH, without spawning `which`. A name with a
 * slash is checked as a path (relative to `cwd`). Returns the path, or undefined when there is no
 * executable regular file.
 */
export function findBinary(name: string, envPath: string | undefined, cwd = process.cwd()): string | undefined {
  if (name === '') return undefined;
  if (name.includes('/')) {
    const path = isAbsolute(name) ? name : resolve(cwd, name);
    return isExecutableFile(path) ? path : undefined;
  }
  for (const dir of (envPath ?? '').split(delimiter)) {
    // An empty PATH entry means the current directory (POSIX).
    const path = join(dir === '' ? cwd : resolve(cwd, dir), name);
    if (isExecutableFile(path)) return path;
  }
  return undefined;
}

function isExecutableFile(path: string): boolean {
  try {
    // Most PATH entries do not hold the program: no error (and its stack) is built for them.
    if (!statSync(path, { throwIfNoEntry: false })?.isFile()) return false;
    accessSync(path, constants.X_OK);
    return true;
  } catch {
    return false;
  }
}

/** The engine's message for a missing exec-type program (SPEC §2). */
export function missingBinaryMessage(execType: string, binary: string): string {
  return `exec type '${execType}' needs the program '${binary}', which is not on PATH; install it or use exec=local`;
}
