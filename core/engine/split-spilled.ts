/**
 * `stdout_split=DELIM,INDEX` over an output that spilled to a file: the same element
 * splitOutput takes from the whole text, found by reading the file in chunks. The element is
 * kept in memory up to the capture limit, else written to a new spill file (and its first bytes
 * kept as the text), so memory stays bounded whatever the output and the element's size.
 */
import { closeSync, openSync, unlinkSync, writeSync } from 'node:fs';
import { randomBytes } from 'node:crypto';
import { basename, dirname, join } from 'node:path';
import { DEFAULT_CAPTURE_LIMIT, DEFAULT_PREVIEW_LIMIT, utf8CutPoint } from '../../shared/exec/index.js';
import { endWithoutNewlines, endWithoutWhitespace, readTextChunks, SCAN_CHUNK_BYTES } from '../../shared/exec/index.js';
import { SPLIT_DELIMITERS } from '../../shared/taskfile/keys.js';
import type { SplitSpec } from '../../shared/taskfile/model.js';
import { splitOutput } from './split.js';

export interface SplitLimits {
  /** Bytes of the element kept in memory; past that it goes to a new spill file. */
  captureLimit: number;
  /** Bytes of a spilled element kept as its text. */
  previewLimit: number;
  chunkBytes?: number;
}

export interface SplitStream {
  text: string;
  /** The file holding the whole element (or the whole stream, when the index is out of range). */
  file?: string;
}

/**
 * A task's split stream: splitOutput over the text kept in memory, or over the whole spill file.
 * A spill file that cannot be read leaves the text it kept to split, and `onError` says so.
 */
export function splitCaptured(stream: SplitStream, spec: SplitSpec, onError: (message: string) => void, limits?: SplitLimits): SplitStream {
  if (!stream.file) return { text: splitOutput(stream.text, spec) };
  try {
    return splitSpilled(stream.file, stream.text, spec, limits ?? { captureLimit: DEFAULT_CAPTURE_LIMIT, previewLimit: DEFAULT_PREVIEW_LIMIT });
  } catch (err) {
    onError(`cannot split the output kept in ${stream.file} (${(err as Error).message}); split only its first ${Buffer.byteLength(stream.text)} bytes`);
    return { text: splitOutput(stream.text, spec) };
  }
}

/** Finds the next separator in `s` at or after `from`: [start, end), or undefined. */
type FindSeparator = (s: string, from: number) => [number, number] | undefined;

function separatorFinder(delimiter: string): { find: FindSeparator; longest: number; trim: boolean; runs: boolean } {
  const named = SPLIT_DELIMITERS[delimiter.toLowerCase()] ?? delimiter;
  if (typeof named === 'string') {
    return { find: literal(named), longest: named.length, trim: false, runs: false };
  }
  // The named regular expressions match whitespace only: /\s+/ (runs), /\t/ and /\r?\n/.
  if (named.source === '\\t') return { find: literal('\t'), longest: 1, trim: true, runs: false };
  if (named.source === '\\r?\\n') {
    const find: FindSeparator = (s, from) => {
      const i = s.indexOf('\n', from);
      if (i < 0) return undefined;
      return [i > from && s.charCodeAt(i - 1) === 0x0d ? i - 1 : i, i + 1];
    };
    return { find, longest: 2, trim: true, runs: false };
  }
  const find: FindSeparator = (s, from) => {
    const re = /\s+/g;
    re.lastIndex = from;
    const m = re.exec(s);
    return m ? [m.index, m.index + m[0].length] : undefined;
  };
  return { find, longest: 1, trim: true, runs: true };
}

function literal(sep: string): FindSeparator {
  // Validation refuses an empty delimiter (parseSplit).
  return (s, from) => {
    const i = s.indexOf(sep, from);
    return i < 0 ? undefined : [i, i + sep.length];
  };
}

/** Split the stream in `file` (its first bytes are `preview`) like splitOutput splits a text. */
export function splitSpilled(file: string, preview: string, spec: SplitSpec, limits: SplitLimits): SplitStream {
  if (spec.index < 0) return { text: preview, file };
  const sep = separatorFinder(spec.delimiter);
  const sink = new ElementSink(file, limits);
  const fd = openSync(file, 'r');
  let part = 0;
  let complete = false;
  try {
    // splitOutput drops one trailing newline; a whitespace separator also trims the text.
    const end = sep.trim ? endWithoutWhitespace(fd) : endWithoutNewlines(fd, true);
    let leading = sep.trim;
    let carry = '';
    /** A whitespace run reached the end of the last chunk: the next one may continue it. */
    let inRun = false;
    const take = (text: string) => part === spec.index && sink.append(text);
    for (let text of readTextChunks(fd, end, limits.chunkBytes ?? SCAN_CHUNK_BYTES)) {
      if (leading) {
        const first = text.search(/\S/);
        if (first < 0) continue;
        leading = false;
        text = text.slice(first);
      }
      const s = carry + text;
      let pos = 0;
      if (inRun) {
        const m = /^\s*/.exec(s)!;
        pos = m[0].length;
        if (pos === s.length) continue;
        inRun = false;
      }
      for (let m = sep.find(s, pos); m; m = sep.find(s, pos)) {
        if (sep.runs && m[1] === s.length) {
          // The run may go on in the next chunk: it is one separator either way.
          take(s.slice(pos, m[0]));
          part++;
          pos = s.length;
          inRun = true;
          break;
        }
        take(s.slice(pos, m[0]));
        part++;
        pos = m[1];
        if (part > spec.index) break;
      }
      if (part > spec.index) {
        complete = true;
        break;
      }
      if (inRun) {
        carry = '';
        continue;
      }
      // A separator may start in the last characters: keep them for the next chunk.
      const keepFrom = Math.max(pos, s.length - (sep.longest - 1));
      take(s.slice(pos, keepFrom));
      carry = s.slice(keepFrom);
    }
    if (!complete) {
      take(carry);
      complete = part >= spec.index;
    }
  } finally {
    closeSync(fd);
  }
  if (!complete) {
    // Index out of range: the output stays as it was (splitOutput's rule).
    sink.discard();
    return { text: preview, file };
  }
  const element = sink.finish();
  unlinkSync(file);
  return element;
}

/** The chosen element: in memory up to the capture limit, then in a new spill file. */
class ElementSink {
  private parts: string[] = [];
  private bytes = 0;
  private fd: number | undefined;
  private path: string | undefined;
  private preview = '';
  /** A high surrogate at the end of a piece, written with the piece after it. */
  private high = '';

  constructor(
    private readonly source: string,
    private readonly limits: SplitLimits,
  ) {}

  append(text: string): void {
    if (!text) return;
    text = this.high + text;
    this.high = '';
    const last = text.charCodeAt(text.length - 1);
    if (last >= 0xd800 && last <= 0xdbff) {
      this.high = text.slice(-1);
      text = text.slice(0, -1);
    }
    this.write(text);
  }

  private write(text: string): void {
    if (this.fd !== undefined) {
      writeSync(this.fd, text);
      return;
    }
    this.parts.push(text);
    this.bytes += Buffer.byteLength(text);
    if (this.bytes <= this.limits.captureLimit) return;
    const all = Buffer.from(this.parts.join(''));
    this.parts = [];
    this.preview = all.subarray(0, utf8CutPoint(all, this.limits.previewLimit)).toString();
    this.path = join(dirname(this.source), `${basename(this.source)}_split_${randomBytes(4).toString('hex')}`);
    this.fd = openSync(this.path, 'wx', 0o600);
    writeSync(this.fd, all);
  }

  finish(): SplitStream {
    if (this.high) this.write(this.high);
    if (this.fd === undefined) return { text: this.parts.join('') };
    closeSync(this.fd);
    return { text: this.preview, file: this.path! };
  }

  discard(): void {
    if (this.fd === undefined) return;
    closeSync(this.fd);
    unlinkSync(this.path!);
  }
}
