/**
 * A captured stream that spilled to a file, read for conditions in chunks: memory stays bounded
 * (a chunk, a pattern's length and at most COMPARE_LIMIT characters) however large the output.
 * Each answer is computed once per view.
 *
 * Most answers come from the bytes: line counts and blank tests (where the surrounding whitespace
 * ends is found at both ends, and the newlines between are counted) and patterns of ASCII text
 * (an ASCII byte is always the same character, whatever bytes are around it, also invalid
 * UTF-8). Other patterns are looked for in the decoded text.
 *
 * The file is read synchronously: a condition is a decision the engine waits for anyway, and
 * evaluation stays a plain function. Reading pauses the event loop for one pass over the file
 * (docs/task-files.md gives measured figures).
 */
import { closeSync, openSync } from 'node:fs';
import { COMPARE_LIMIT, textOutput, type OutputView } from '../taskfile/output-view.js';
import {
  containsBytes,
  countByte,
  endWithoutNewlines,
  endWithoutWhitespace,
  readTextChunks,
  SCAN_CHUNK_BYTES,
  startWithoutWhitespace,
} from './spill-reader.js';

export interface SpilledOutputOptions {
  /** Bytes per read (tests use small chunks to put matches across chunk boundaries). */
  chunkBytes?: number;
  /** The file could not be read: answers come from `preview` instead, and this says why. */
  onError?: (message: string) => void;
}

/** The whole stream in `file`; `preview` (its first bytes) answers only when the file cannot be read. */
export function spilledOutput(file: string, preview: string, opts: SpilledOutputOptions = {}): OutputView {
  return new SpilledOutput(file, preview, opts.chunkBytes ?? SCAN_CHUNK_BYTES, opts.onError);
}

/** UTF-8 decodes to at least one UTF-16 code unit per 3 bytes (and U+FFFD per invalid byte). */
const BYTES_PER_UNIT_AT_MOST = 3;

class SpilledOutput implements OutputView {
  private readonly found = new Map<string, boolean>();
  private newlinesEnd: number | undefined;
  private content: { start: number; end: number } | undefined;
  private lines: number | undefined;
  private value: { text: string | undefined } | undefined;
  private fallback: OutputView | undefined;

  constructor(
    private readonly file: string,
    private readonly preview: string,
    private readonly chunkBytes: number,
    private readonly onError: ((message: string) => void) | undefined,
  ) {}

  contains(pattern: string): boolean {
    let hit = this.found.get(pattern);
    if (hit === undefined) {
      hit = this.read((fd) => this.search(fd, pattern), (v) => v.contains(pattern));
      this.found.set(pattern, hit);
    }
    return hit;
  }

  isBlank(): boolean {
    return this.read((fd) => this.bounds(fd).start >= this.bounds(fd).end, (v) => v.isBlank());
  }

  isEmptyBeforeNewlines(): boolean {
    return this.read((fd) => this.contentEnd(fd) === 0, (v) => v.isEmptyBeforeNewlines());
  }

  lineCount(): number {
    return this.read((fd) => {
      if (this.lines === undefined) {
        const { start, end } = this.bounds(fd);
        this.lines = start >= end ? 0 : countByte(fd, 0x0a, start, end, this.chunkBytes) + 1;
      }
      return this.lines;
    }, (v) => v.lineCount());
  }

  trimmed(): string | undefined {
    return this.read((fd) => {
      if (!this.value) {
        const { start, end } = this.bounds(fd);
        let text: string | undefined;
        if (end - start <= COMPARE_LIMIT * BYTES_PER_UNIT_AT_MOST) {
          // [start, end) begins and ends on character boundaries: decoded alone it is the trimmed text.
          text = '';
          for (const chunk of readTextChunks(fd, end, this.chunkBytes, start)) text += chunk;
          if (text.length > COMPARE_LIMIT) text = undefined;
        }
        this.value = { text };
      }
      return this.value.text;
    }, (v) => v.trimmed());
  }

  /** Run `scan` on the open file; on a read error, answer from the preview (reported once). */
  private read<T>(scan: (fd: number) => T, fromPreview: (v: OutputView) => T): T {
    if (this.fallback) return fromPreview(this.fallback);
    let fd: number | undefined;
    try {
      fd = openSync(this.file, 'r');
      return scan(fd);
    } catch (err) {
      this.fallback = textOutput(this.preview);
      this.onError?.(`cannot read the output kept in ${this.file} (${(err as Error).message}); conditions see only its first ${Buffer.byteLength(this.preview)} bytes`);
      return fromPreview(this.fallback);
    } finally {
      if (fd !== undefined) closeSync(fd);
    }
  }

  /** Byte length of the stream without its trailing newlines (`\n`, `\r\n`). */
  private contentEnd(fd: number): number {
    this.newlinesEnd ??= endWithoutNewlines(fd, false, Math.min(this.chunkBytes, 64 * 1024));
    return this.newlinesEnd;
  }

  /** Where the stream's text starts and ends once surrounding whitespace is stripped. */
  private bounds(fd: number): { start: number; end: number } {
    if (!this.content) {
      const block = Math.min(this.chunkBytes, 64 * 1024);
      const start = startWithoutWhitespace(fd, block);
      this.content = { start, end: Math.max(start, endWithoutWhitespace(fd, block)) };
    }
    return this.content;
  }

  /** Whether bytes [0, contentEnd) contain `pattern`, also across chunk boundaries. */
  private search(fd: number, pattern: string): boolean {
    const end = this.contentEnd(fd);
    if (/^[\x00-\x7f]*$/.test(pattern)) return containsBytes(fd, Buffer.from(pattern), end, this.chunkBytes);
    const keep = pattern.length - 1;
    let carry = '';
    for (const text of readTextChunks(fd, end, this.chunkBytes)) {
      const window = carry + text;
      if (window.includes(pattern)) return true;
      carry = keep > 0 ? window.slice(Math.max(0, window.length - keep)) : '';
    }
    return false;
  }
}
