/**
 * A captured stream that spilled to a file, read for conditions in chunks: memory stays bounded
 * (a chunk, a pattern's length and at most COMPARE_LIMIT characters) however large the output.
 * Each answer is computed once per view.
 *
 * The file is read synchronously: a condition is a decision the engine waits for anyway, and
 * evaluation stays a plain function. Reading pauses the event loop for the length of one pass over
 * the file (see docs/task-files.md for measured figures).
 */
import { closeSync, openSync } from 'node:fs';
import {
  COMPARE_LIMIT,
  countNewlines,
  lastNonWhitespace,
  textOutput,
  type OutputView,
} from '../taskfile/output-view.js';
import { endWithoutNewlines, fileSize, readTextChunks, SCAN_CHUNK_BYTES } from './spill-reader.js';

interface Summary {
  blank: boolean;
  lines: number;
  trimmed: string | undefined;
}

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

class SpilledOutput implements OutputView {
  private readonly found = new Map<string, boolean>();
  private end: number | undefined;
  private summary: Summary | undefined;
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
    return this.summarize().blank;
  }

  isEmptyBeforeNewlines(): boolean {
    return this.read((fd) => this.contentEnd(fd) === 0, (v) => v.isEmptyBeforeNewlines());
  }

  lineCount(): number {
    return this.summarize().lines;
  }

  trimmed(): string | undefined {
    return this.summarize().trimmed;
  }

  /** Run `scan` on the open file; on a read error, answer from the preview (once reported). */
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

  private chunks(fd: number, end: number): Generator<string> {
    return readTextChunks(fd, end, this.chunkBytes);
  }

  /** Byte length of the stream without its trailing newlines (`\n`, `\r\n`). */
  private contentEnd(fd: number): number {
    this.end ??= endWithoutNewlines(fd, false, Math.min(this.chunkBytes, 64 * 1024));
    return this.end;
  }

  /** Whether bytes [0, contentEnd) contain `pattern`, also across chunk boundaries. */
  private search(fd: number, pattern: string): boolean {
    const keep = pattern.length - 1;
    let carry = '';
    for (const text of this.chunks(fd, this.contentEnd(fd))) {
      const window = carry + text;
      if (window.includes(pattern)) return true;
      carry = keep > 0 ? window.slice(Math.max(0, window.length - keep)) : '';
    }
    return false;
  }

  /**
   * One pass for isBlank, lineCount and trimmed. Lines are the `\n` between the first and the last
   * non-whitespace character, plus one; the newlines of a whitespace run wait in `pendingLines`
   * until a non-whitespace character shows the run is not the end.
   */
  private summarize(): Summary {
    if (this.summary) return this.summary;
    const fromPreview = (v: OutputView): Summary => ({ blank: v.isBlank(), lines: v.lineCount(), trimmed: v.trimmed() });
    this.summary = this.read((fd) => {
      let seen = false;
      let lines = 0;
      let pendingLines = 0;
      let kept = '';
      let pendingSpace = '';
      let spaceTooLong = false;
      let tooLong = false;
      for (let text of this.chunks(fd, fileSize(fd))) {
        if (!seen) {
          const first = text.search(/\S/);
          if (first < 0) continue;
          seen = true;
          text = text.slice(first);
        }
        const last = lastNonWhitespace(text);
        if (last < 0) {
          pendingLines += countNewlines(text);
          if (!tooLong && !spaceTooLong) {
            if (kept.length + pendingSpace.length + text.length <= COMPARE_LIMIT) pendingSpace += text;
            else spaceTooLong = true;
          }
          continue;
        }
        lines += pendingLines + countNewlines(text, 0, last);
        pendingLines = countNewlines(text, last + 1);
        if (tooLong) continue;
        const tail = text.slice(last + 1);
        if (spaceTooLong || kept.length + pendingSpace.length + last + 1 > COMPARE_LIMIT) {
          tooLong = true;
          kept = pendingSpace = '';
          continue;
        }
        kept += pendingSpace + text.slice(0, last + 1);
        pendingSpace = kept.length + tail.length <= COMPARE_LIMIT ? tail : '';
        spaceTooLong = kept.length + tail.length > COMPARE_LIMIT;
      }
      return { blank: !seen, lines: seen ? lines + 1 : 0, trimmed: tooLong ? undefined : kept };
    }, fromPreview);
    return this.summary;
  }
}

