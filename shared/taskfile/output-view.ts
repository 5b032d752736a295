/**
 * What conditions read of a task's captured stream. A stream kept in memory is read here; one that
 * spilled to a file is read from the file in chunks (shared/exec/spilled-output.ts) with the same
 * answers, so `stdout~`, `stdout_count` and the rest see the whole output whatever its size.
 */

/** Longest value (characters, surrounding whitespace stripped) that `stdout=TEXT` and `stdout<N` compare. */
export const COMPARE_LIMIT = 1024 * 1024;

/** One captured stream (stdout or stderr), as the condition atoms ask about it. */
export interface OutputView {
  /** Whether the stream, trailing newlines dropped, contains `pattern` (a non-empty text). */
  contains(pattern: string): boolean;
  /** Whether the stream holds nothing but whitespace (`stdout~` with no pattern). */
  isBlank(): boolean;
  /** Whether the stream holds nothing but newlines (`stderr~` with no pattern). */
  isEmptyBeforeNewlines(): boolean;
  /** Lines once surrounding whitespace is stripped; 0 when blank (`stdout_count`). */
  lineCount(): number;
  /** The stream with surrounding whitespace stripped (for `stdout=TEXT`); undefined when longer than COMPARE_LIMIT. */
  trimmed(): string | undefined;
}

/** The trailing newlines conditions ignore: `\n` and `\r\n`, any number of them. */
export function withoutTrailingNewlines(s: string): string {
  let end = s.length;
  while (end > 0 && s.charCodeAt(end - 1) === 0x0a) end -= end > 1 && s.charCodeAt(end - 2) === 0x0d ? 2 : 1;
  return s.slice(0, end);
}

/**
 * Whether a UTF-16 code unit is whitespace as String.prototype.trim and `\s` see it (ECMAScript
 * WhiteSpace and LineTerminator).
 */
export function isJsWhitespace(code: number): boolean {
  if (code <= 0x20) return code === 0x20 || (code >= 0x09 && code <= 0x0d);
  if (code < 0xa0) return false;
  return (
    code === 0xa0 || code === 0x1680 || (code >= 0x2000 && code <= 0x200a) || code === 0x2028 || code === 0x2029 ||
    code === 0x202f || code === 0x205f || code === 0x3000 || code === 0xfeff
  );
}

/** Index of the last non-whitespace code unit of `s`, or -1. */
export function lastNonWhitespace(s: string): number {
  let i = s.length - 1;
  while (i >= 0 && isJsWhitespace(s.charCodeAt(i))) i--;
  return i;
}

/** Number of `\n` in s[from, to). */
export function countNewlines(s: string, from = 0, to = s.length): number {
  let n = 0;
  for (let i = s.indexOf('\n', from); i >= 0 && i < to; i = s.indexOf('\n', i + 1)) n++;
  return n;
}

/** A stream held in memory as text. */
export function textOutput(text: string): OutputView {
  return {
    contains: (pattern) => withoutTrailingNewlines(text).includes(pattern),
    isBlank: () => text.trim() === '',
    isEmptyBeforeNewlines: () => withoutTrailingNewlines(text) === '',
    lineCount: () => {
      const body = text.trim();
      return body === '' ? 0 : countNewlines(body) + 1;
    },
    trimmed: () => {
      const body = text.trim();
      return body.length > COMPARE_LIMIT ? undefined : body;
    },
  };
}
