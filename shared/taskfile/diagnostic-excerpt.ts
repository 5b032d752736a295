/**
 * The bounded, printable pieces of a diagnostic: a source excerpt of at most ~200 columns around
 * the caret (elided with …), and message texts whose long quoted parts are shortened. Control
 * characters are escaped (`\x1b`), so a task file cannot drive the operator's terminal.
 */
import { escapeControlChar, escapeControlChars } from '../text/index.js';

/** Display columns of an excerpt (without the … marks) and how many of them come before the caret. */
export const EXCERPT_COLUMNS = 200;
const BEFORE_CARET = 60;
/** A quoted part of a message longer than this is shortened. */
const QUOTED_MAX = 80;
const MESSAGE_MAX = 300;

export interface Excerpt {
  /** The line as shown: tabs as spaces, control characters escaped, … where it was cut. */
  text: string;
  /** 0-based display column of the caret, and its width (at least 1). */
  caret: number;
  width: number;
}

function shown(c: string): string {
  if (c === '\t') return ' ';
  const n = c.charCodeAt(0);
  return n < 0x20 || (n >= 0x7f && n <= 0x9f) ? escapeControlChar(c) : c;
}

/** The excerpt of `source` for a caret at 1-based `col` spanning `length` characters. */
export function excerptAround(source: string, col: number, length: number): Excerpt {
  const start = Math.max(0, Math.min(col - 1, source.length));
  const end = Math.max(start + 1, Math.min(start + Math.max(1, length), source.length));
  // Walk left from the caret within BEFORE_CARET columns, then right within what is left.
  let from = start;
  let before = 0;
  while (from > 0 && before + shown(source[from - 1]!).length <= BEFORE_CARET) before += shown(source[--from]!).length;
  if (from > 0 && isLowSurrogate(source, from)) before -= shown(source[from++]!).length;
  let to = start;
  let used = before;
  let caretWidth = 0;
  while (to < source.length && used + shown(source[to]!).length <= EXCERPT_COLUMNS) {
    const w = shown(source[to]!).length;
    used += w;
    if (to < end) caretWidth += w;
    to++;
  }
  if (to < source.length && to > from && isLowSurrogate(source, to)) to--;
  let text = '';
  for (let i = from; i < to; i++) text += shown(source[i]!);
  const lead = from > 0 ? '…' : '';
  return { text: `${lead}${text}${to < source.length ? '…' : ''}`, caret: lead.length + before, width: Math.max(1, caretWidth) };
}

function isLowSurrogate(s: string, i: number): boolean {
  const n = s.charCodeAt(i);
  return n >= 0xdc00 && n <= 0xdfff;
}

/** A message or hint made printable: control characters escaped, long quoted parts and the whole bounded. */
export function boundMessage(text: string): string {
  // A first cut keeps the work bounded (a message may quote a 1 MiB line); the quotes stay paired.
  const raw = text.length > 4 * MESSAGE_MAX ? `${text.slice(0, 3 * MESSAGE_MAX)}…${text.slice(-MESSAGE_MAX)}` : text;
  let out = escapeControlChars(raw.replace(/\t/g, ' '));
  out = out.replace(/'([^']{81,})'/g, (_m, inner: string) => `'${inner.slice(0, QUOTED_MAX - 20)}…${inner.slice(-15)}'`);
  return out.length > MESSAGE_MAX ? `${out.slice(0, MESSAGE_MAX - 60)}…${out.slice(-59)}` : out;
}
