/** Reading a spill file in bounded pieces: decoded text chunk by chunk, and where its trailing whitespace starts. */
import { closeSync, fstatSync, openSync, readSync } from 'node:fs';
import { StringDecoder } from 'node:string_decoder';

/**
 * Bytes read from a spill file at a time: small enough that decoded chunks stay ordinary heap
 * objects that a minor GC frees (larger strings go to V8's large-object space and pile up).
 */
export const SCAN_CHUNK_BYTES = 64 * 1024;

/**
 * Decoded text of bytes [start, end) of `fd`, chunk by chunk; a character is never cut in two,
 * and invalid bytes decode as Buffer#toString decodes them (U+FFFD).
 */
export function* readTextChunks(fd: number, end: number, chunkBytes = SCAN_CHUNK_BYTES, start = 0): Generator<string> {
  const decoder = new StringDecoder('utf8');
  const buf = Buffer.allocUnsafe(Math.max(1, Math.min(chunkBytes, end - start)));
  for (let pos = start; pos < end;) {
    const n = readSync(fd, buf, 0, Math.min(buf.length, end - pos), pos);
    if (n === 0) break;
    pos += n;
    const text = decoder.write(buf.subarray(0, n));
    if (text) yield text;
  }
  const rest = decoder.end();
  if (rest) yield rest;
}

/** Reads single bytes of a file through a small block (forwards or backwards). */
function byteReader(fd: number, blockBytes: number, backwards: boolean): (pos: number) => number {
  const block = Buffer.allocUnsafe(blockBytes);
  let start = 0;
  let len = 0;
  return (pos) => {
    if (pos < start || pos >= start + len) {
      start = backwards ? Math.max(0, pos + 1 - block.length) : pos;
      len = readSync(fd, block, 0, backwards ? pos + 1 - start : block.length, start);
    }
    return block[pos - start]!;
  };
}

export function fileSize(fd: number): number {
  return fstatSync(fd).size;
}

/** Byte length without the trailing newlines (`\n` and `\r\n`, any number; `once`: only the last one). */
export function endWithoutNewlines(fd: number, once = false, blockBytes = 64 * 1024): number {
  const byteAt = byteReader(fd, blockBytes, true);
  let end = fileSize(fd);
  while (end > 0 && byteAt(end - 1) === 0x0a) {
    end -= end > 1 && byteAt(end - 2) === 0x0d ? 2 : 1;
    if (once) break;
  }
  return end;
}

/** UTF-8 forms of the non-ASCII characters String.prototype.trim strips. */
const WIDE_SPACES = [
  [0xc2, 0xa0], [0xe1, 0x9a, 0x80], [0xe2, 0x80, 0xa8], [0xe2, 0x80, 0xa9], [0xe2, 0x80, 0xaf], [0xe2, 0x81, 0x9f],
  [0xe3, 0x80, 0x80], [0xef, 0xbb, 0xbf],
  ...Array.from({ length: 11 }, (_, i) => [0xe2, 0x80, 0x80 + i]),
];

function isAsciiSpace(b: number): boolean {
  return b === 0x20 || (b >= 0x09 && b <= 0x0d);
}

/** Offset of the first byte that is not leading whitespace as String.prototype.trim sees it (the size when all is). */
export function startWithoutWhitespace(fd: number, blockBytes = 64 * 1024): number {
  const size = fileSize(fd);
  const byteAt = byteReader(fd, blockBytes, false);
  let pos = 0;
  const at = (seq: number[]): boolean => pos + seq.length <= size && seq.every((b, i) => byteAt(pos + i) === b);
  outer: while (pos < size) {
    const b = byteAt(pos);
    if (isAsciiSpace(b)) {
      pos++;
      continue;
    }
    if (b < 0x80) break;
    for (const seq of WIDE_SPACES) {
      if (at(seq)) {
        pos += seq.length;
        continue outer;
      }
    }
    break;
  }
  return pos;
}

/** Number of `byte` in bytes [start, end). */
export function countByte(fd: number, byte: number, start: number, end: number, chunkBytes = SCAN_CHUNK_BYTES): number {
  const buf = Buffer.allocUnsafe(Math.max(1, Math.min(chunkBytes, end - start)));
  let n = 0;
  for (let pos = start; pos < end;) {
    const got = readSync(fd, buf, 0, Math.min(buf.length, end - pos), pos);
    if (got === 0) break;
    pos += got;
    for (let i = buf.indexOf(byte, 0); i >= 0 && i < got; i = buf.indexOf(byte, i + 1)) n++;
  }
  return n;
}

/** Whether bytes [0, end) contain `needle`, also across read boundaries. */
export function containsBytes(fd: number, needle: Buffer, end: number, chunkBytes = SCAN_CHUNK_BYTES): boolean {
  const keep = needle.length - 1;
  const buf = Buffer.allocUnsafe(keep + Math.max(1, Math.min(chunkBytes, end)));
  let carried = 0;
  for (let pos = 0; pos < end;) {
    const got = readSync(fd, buf, carried, Math.min(buf.length - carried, end - pos), pos);
    if (got === 0) break;
    pos += got;
    const filled = carried + got;
    const hit = buf.subarray(0, filled).indexOf(needle);
    if (hit >= 0 && hit + needle.length <= filled) return true;
    carried = Math.min(keep, filled);
    buf.copy(buf, 0, filled - carried, filled);
  }
  return false;
}

/**
 * Byte length without trailing whitespace as String.prototype.trim sees it. The lead byte of each
 * wide space is never a continuation byte, so a decoder reading forwards starts a character there
 * too: the bytes matched backwards are the characters trim would strip.
 */
export function endWithoutWhitespace(fd: number, blockBytes = 64 * 1024): number {
  const byteAt = byteReader(fd, blockBytes, true);
  let end = fileSize(fd);
  const endsWith = (seq: number[]): boolean => end >= seq.length && seq.every((b, i) => byteAt(end - seq.length + i) === b);
  outer: while (end > 0) {
    const last = byteAt(end - 1);
    if (isAsciiSpace(last)) {
      end--;
      continue;
    }
    if (last < 0x80) break;
    for (const seq of WIDE_SPACES) {
      if (endsWith(seq)) {
        end -= seq.length;
        continue outer;
      }
    }
    break;
  }
  return end;
}

/**
 * The last `chars` characters of the stream in `file`, read from at most `maxBytes` at its end
 * (starting on a character boundary), so a tail is the stream's real end however large it is.
 */
export function readTailText(file: string, chars: number, maxBytes: number): string {
  if (chars <= 0) return '';
  const fd = openSync(file, 'r');
  try {
    const size = fileSize(fd);
    // A character is at most 4 bytes: 4 per character (and one more) hold the last `chars`.
    const want = Math.min(size, maxBytes, chars * 4 + 4);
    const buf = Buffer.allocUnsafe(want);
    const got = readSync(fd, buf, 0, want, size - want);
    let from = 0;
    if (got < size) while (from < got && (buf[from]! & 0xc0) === 0x80) from++;
    const text = buf.subarray(from, got).toString('utf8');
    return text.length > chars ? text.slice(text.length - chars) : text;
  } finally {
    closeSync(fd);
  }
}
