/** Reads a file line by line in fixed chunks: memory stays bounded whatever the file's size or line length. */
import { closeSync, openSync, readSync } from 'node:fs';

const CHUNK = 256 * 1024;
/** A line longer than this is cut (the rest is skipped) — the page shows its start. */
export const MAX_LINE = 16 * 1024;

/**
 * Calls `onLine(line, next)` for each line from byte `from` (next = the offset after the line),
 * until it returns false or `maxBytes` were read. Returns the offset where reading stopped.
 */
export function scanLines(path: string, from: number, maxBytes: number, onLine: (line: string, next: number) => boolean): number {
  const fd = openSync(path, 'r');
  const buf = Buffer.alloc(CHUNK);
  let pos = from;
  let carry: Buffer[] = [];
  let carryLen = 0;
  let lineStart = from;
  try {
    while (pos - from < maxBytes) {
      const n = readSync(fd, buf, 0, CHUNK, pos);
      if (n === 0) break;
      let start = 0;
      for (let i = buf.indexOf(10, 0); i >= 0 && i < n; i = buf.indexOf(10, i + 1)) {
        const piece = buf.subarray(start, Math.min(i, start + Math.max(0, MAX_LINE - carryLen)));
        const line = Buffer.concat([...carry, piece]).toString('utf8');
        carry = [];
        carryLen = 0;
        const next = pos + i + 1;
        if (!onLine(line, next)) return next;
        start = i + 1;
        lineStart = next;
      }
      if (start < n && carryLen < MAX_LINE) {
        const rest = Buffer.from(buf.subarray(start, Math.min(n, start + MAX_LINE - carryLen)));
        carry.push(rest);
        carryLen += rest.length;
      }
      pos += n;
    }
    // The last line without a newline (a log still being written) is left for the next read.
    return lineStart;
  } finally {
    closeSync(fd);
  }
}
