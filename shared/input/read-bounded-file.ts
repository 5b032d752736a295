/**
 * The one way the tools read an input file an operator hands them (task files, config files,
 * parallelr argument files, inventories): a regular file only, at most `maxFileBytes`, no line longer
 * than `maxLineBytes`, valid UTF-8. It never holds more than the limit plus one byte, whatever the
 * path names (`/dev/zero`, a FIFO nobody writes to, a 50 MB line), and never throws.
 */
import { closeSync, constants, fstatSync, openSync, readSync, statSync, type Stats } from 'node:fs';
import { isUtf8 } from 'node:buffer';
import { findInvalidUtf8, positionOfByte } from './utf8-position.js';

export interface InputLimits {
  /** Largest file accepted, in bytes. */
  maxFileBytes: number;
  /** Longest line accepted, in bytes, without its newline. */
  maxLineBytes: number;
}

export const MiB = 1024 * 1024;
export const DEFAULT_INPUT_LIMITS: Readonly<InputLimits> = Object.freeze({ maxFileBytes: 16 * MiB, maxLineBytes: 1 * MiB });

export type InputProblemKind = 'missing' | 'not-regular' | 'unreadable' | 'too-large' | 'line-too-long' | 'invalid-utf8';

/** Why a file was refused. `line`/`col` (1-based) are set for the problems inside the file. */
export interface InputProblem {
  kind: InputProblemKind;
  /** What is wrong, without the file name: "is a FIFO, not a regular file". */
  reason: string;
  /** How to fix it, where there is something to say. */
  hint?: string;
  line?: number;
  col?: number;
  /** For 'not-regular': what the path is instead ("a FIFO (named pipe)"). */
  fileType?: string;
  /** For 'unreadable': the system's reason ("ELOOP: too many symbolic links …"). */
  cause?: string;
}

export type BoundedRead = { ok: true; text: string } | { ok: false; problem: InputProblem };

const CHUNK = 64 * 1024;

/** Read `path` as UTF-8 text within `limits`; every refusal is a value, never an exception. */
export function readBoundedFile(path: string, limits: InputLimits = DEFAULT_INPUT_LIMITS): BoundedRead {
  const read = readBoundedBytes(path, limits.maxFileBytes + 1);
  return read.ok ? decodeInput(read.bytes, limits) : read;
}

export type BoundedBytes = { ok: true; bytes: Buffer } | { ok: false; problem: InputProblem };

/**
 * Read at most `maxBytes` bytes of a regular file, whatever it holds (parallelr ships any file to
 * NATS agents, not only task files). A caller learns the file is larger by asking one byte more
 * than it accepts.
 */
export function readBoundedBytes(path: string, maxBytes: number): BoundedBytes {
  // stat first: a device is refused without being opened (opening some has effects of its own).
  let st: Stats;
  try {
    st = statSync(path);
  } catch (e) {
    return openFailed(e);
  }
  if (!st.isFile()) return notRegular(st);
  let fd: number;
  try {
    // The path may have changed since the stat: O_NONBLOCK keeps a FIFO put there from blocking
    // the open (waiting for a writer), and fstat on the descriptor decides again.
    fd = openSync(path, constants.O_RDONLY | constants.O_NONBLOCK | constants.O_NOCTTY);
  } catch (e) {
    return openFailed(e);
  }
  try {
    const opened = fstatSync(fd);
    if (!opened.isFile()) return notRegular(opened);
    return { ok: true, bytes: readOpen(fd, opened.size, maxBytes) };
  } catch (e) {
    return { ok: false, problem: { kind: 'unreadable', reason: `cannot be read: ${(e as Error).message}`, cause: (e as Error).message } };
  } finally {
    closeSync(fd);
  }
}

function openFailed(e: unknown): { ok: false; problem: InputProblem } {
  const code = (e as NodeJS.ErrnoException).code;
  if (code === 'ENOENT') return refuse('missing', 'does not exist');
  if (code === 'ENOTDIR') return refuse('missing', 'does not exist (a part of the path is not a directory)');
  return { ok: false, problem: { kind: 'unreadable', reason: `cannot be opened: ${(e as Error).message}`, cause: (e as Error).message } };
}

function notRegular(st: Stats): { ok: false; problem: InputProblem } {
  const fileType = describeType(st);
  return { ok: false, problem: { kind: 'not-regular', reason: `is ${fileType}, not a regular file`, hint: 'name a regular file', fileType } };
}

/** Read at most `cap` bytes (the size from stat is only a first guess: files grow). */
function readOpen(fd: number, statSize: number, cap: number): Buffer {
  let buf = Buffer.allocUnsafe(Math.min(cap, Math.max(CHUNK, statSize + 1)));
  let length = 0;
  for (;;) {
    if (length === buf.length) {
      if (buf.length >= cap) break;
      const bigger = Buffer.allocUnsafe(Math.min(cap, buf.length * 2));
      buf.copy(bigger, 0, 0, length);
      buf = bigger;
    }
    const n = readSync(fd, buf, length, buf.length - length, null);
    if (n === 0) break;
    length += n;
  }
  return buf.subarray(0, length);
}

/**
 * Check bytes read from an input file against the limits and decode them. `bytes` may hold one byte
 * more than maxFileBytes (how a reader learns the file is too large); anything past that is ignored.
 */
export function decodeInput(read: Uint8Array, limits: InputLimits = DEFAULT_INPUT_LIMITS): BoundedRead {
  const bytes = read.subarray(0, Math.min(read.length, limits.maxFileBytes));
  const longLine = findLongLine(bytes, limits.maxLineBytes);
  if (longLine !== undefined) {
    return refuse('line-too-long', `line is longer than ${formatBytes(limits.maxLineBytes)}`, 'split the line; a task file line holds one key=value pair', positionOfByte(bytes, longLine));
  }
  if (read.length > limits.maxFileBytes) {
    return refuse('too-large', `the file is larger than ${formatBytes(limits.maxFileBytes)}`, 'split the file, or raise the limit with --max-file-size', positionOfByte(bytes, limits.maxFileBytes));
  }
  if (!isUtf8(bytes)) {
    const at = findInvalidUtf8(bytes);
    const byte = bytes[at] ?? 0;
    return refuse('invalid-utf8', `invalid UTF-8: byte 0x${byte.toString(16).padStart(2, '0')} does not start a valid character`, 'save the file as UTF-8 (e.g. iconv -f latin1 -t utf-8)', positionOfByte(bytes, at));
  }
  return { ok: true, text: Buffer.from(bytes.buffer, bytes.byteOffset, bytes.byteLength).toString('utf8') };
}

/**
 * Offset of the first byte past maxLineBytes in a line, or undefined when every line fits. It looks
 * for the last newline within reach of each line start, so a file of short lines costs one search
 * per maxLineBytes, not one per line. A CR before the newline is not counted.
 */
function findLongLine(bytes: Uint8Array, maxLineBytes: number): number | undefined {
  const buf = Buffer.from(bytes.buffer, bytes.byteOffset, bytes.byteLength);
  let start = 0;
  while (buf.length - start > maxLineBytes) {
    const newline = buf.lastIndexOf(0x0a, start + maxLineBytes);
    if (newline >= start) start = newline + 1;
    else if (buf[start + maxLineBytes] === 0x0d && buf[start + maxLineBytes + 1] === 0x0a) start += maxLineBytes + 2;
    else return start + maxLineBytes;
  }
  return undefined;
}

function describeType(st: Stats): string {
  if (st.isDirectory()) return 'a directory';
  if (st.isFIFO()) return 'a FIFO (named pipe)';
  if (st.isCharacterDevice()) return 'a character device';
  if (st.isBlockDevice()) return 'a block device';
  if (st.isSocket()) return 'a socket';
  return 'a special file';
}

/** 16777216 → "16 MiB"; sizes that are not whole KiB/MiB stay in bytes. */
export function formatBytes(n: number): string {
  if (n >= MiB && n % MiB === 0) return `${n / MiB} MiB`;
  if (n >= 1024 && n % 1024 === 0) return `${n / 1024} KiB`;
  return `${n} bytes`;
}

function refuse(kind: InputProblemKind, reason: string, hint?: string, at?: { line: number; col: number }): { ok: false; problem: InputProblem } {
  const problem: InputProblem = { kind, reason };
  if (hint !== undefined) problem.hint = hint;
  if (at) {
    problem.line = at.line;
    problem.col = at.col;
  }
  return { ok: false, problem };
}
