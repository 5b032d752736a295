/** `--recovery-file FILE`: the state is replaced by renaming a temporary file over FILE, so FILE must be a plain file or not exist yet. */
import { lstatSync, type Stats } from 'node:fs';

/**
 * Why `path` cannot hold the recovery state, or undefined when it can (a regular file, or nothing
 * yet). Renaming over a device, a FIFO or a link replaces it: `/dev/null` as root would become
 * a JSON file for the whole machine.
 */
export function recoveryFileProblem(path: string): string | undefined {
  let st: Stats;
  try {
    st = lstatSync(path);
  } catch {
    return undefined; // created by the first save (its folder too)
  }
  if (st.isFile()) return undefined;
  const what = st.isDirectory() ? 'a directory' : st.isSymbolicLink() ? 'a symbolic link' : st.isCharacterDevice() ? 'a character device'
    : st.isBlockDevice() ? 'a block device' : st.isFIFO() ? 'a FIFO' : st.isSocket() ? 'a socket' : 'not a regular file';
  return `must name a regular file (or one to create): ${path} is ${what}; the state replaces its file by renaming over it`;
}
