/** Bounded reads of record files: the console never loads a whole log to list or page it. */
import { closeSync, openSync, readSync } from 'node:fs';

/** Up to `length` bytes of `path` from `start` (shorter at the end of the file), as UTF-8. */
export function readSlice(path: string, start: number, length: number): string {
  const fd = openSync(path, 'r');
  try {
    const buf = Buffer.alloc(Math.max(0, length));
    const n = readSync(fd, buf, 0, buf.length, Math.max(0, start));
    return buf.subarray(0, n).toString('utf8');
  } finally {
    closeSync(fd);
  }
}

/** The first `length` bytes, whole lines only (a line cut at the end is dropped). */
export function readHead(path: string, size: number, length = 4096): string[] {
  const text = readSlice(path, 0, Math.min(size, length));
  const lines = text.split('\n');
  if (size > length) lines.pop();
  return lines;
}

/** The last `length` bytes, whole lines only (a line cut at the start is dropped). */
export function readTail(path: string, size: number, length = 4096): string[] {
  const start = Math.max(0, size - length);
  const lines = readSlice(path, start, size - start).split('\n');
  if (start > 0) lines.shift();
  return lines;
}
