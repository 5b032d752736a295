/** Compiler-style diagnostics for task files, conditions and configs. */
import { escapeControlChars } from '../text/index.js';
import { boundMessage, excerptAround } from './diagnostic-excerpt.js';

export type Severity = 'error' | 'warning';

export interface Diagnostic {
  /** Stable code in SCREAMING_SNAKE_CASE, e.g. UNKNOWN_CONDITION. Tests and docs rely on it. */
  code: string;
  severity: Severity;
  message: string;
  /** 1-based line in the source file; absent for file-level problems. */
  line?: number;
  /** 1-based column of the first offending character. */
  col?: number;
  /** Number of characters the caret underline spans (default 1). */
  length?: number;
  /** A short "how to fix" sentence, printed after the caret. */
  hint?: string;
}

export function hasErrors(diagnostics: readonly Diagnostic[]): boolean {
  return diagnostics.some((d) => d.severity === 'error');
}

/** Sort by position, errors before warnings on the same spot; stable otherwise. */
export function sortDiagnostics(diagnostics: readonly Diagnostic[]): Diagnostic[] {
  return diagnostics
    .map((d, i) => ({ d, i }))
    .sort(
      (a, b) =>
        (a.d.line ?? 0) - (b.d.line ?? 0) ||
        (a.d.col ?? 0) - (b.d.col ?? 0) ||
        (a.d.severity === b.d.severity ? 0 : a.d.severity === 'error' ? -1 : 1) ||
        a.i - b.i,
    )
    .map(({ d }) => d);
}

/**
 * Render one diagnostic like a compiler:
 *
 *     deploy.txt:12:18: error[UNKNOWN_CONDITION] 'stdot~ok' is not a condition; did you mean 'stdout~ok'?
 *        12 | next=stdot~ok
 *           |      ^^^^^^^^
 *
 * Whatever the input, the result is bounded (a source excerpt of ~200 columns around the caret,
 * long quoted parts of the message shortened) and printable (control characters escaped).
 */
export function formatDiagnostic(d: Diagnostic, fileName: string, lines?: readonly string[]): string {
  const name = escapeControlChars(fileName);
  const where = d.line === undefined ? name : `${name}:${d.line}:${d.col ?? 1}`;
  let out = `${where}: ${d.severity}[${d.code}] ${boundMessage(d.message)}`;
  const source = d.line !== undefined && lines ? lines[d.line - 1] : undefined;
  if (source !== undefined) {
    const gutter = String(d.line).length;
    const excerpt = excerptAround(source, d.col ?? 1, d.length ?? 1);
    out += `\n ${String(d.line)} | ${excerpt.text}`;
    out += `\n ${' '.repeat(gutter)} | ${' '.repeat(excerpt.caret)}${'^'.repeat(excerpt.width)}`;
  }
  if (d.hint) out += `\n ${' '.repeat(d.line !== undefined ? String(d.line).length : 0)} = help: ${boundMessage(d.hint)}`;
  return out;
}

/** Levenshtein distance, small strings only (did-you-mean suggestions). */
export function editDistance(a: string, b: string): number {
  const prev = Array.from({ length: b.length + 1 }, (_, i) => i);
  for (let i = 1; i <= a.length; i++) {
    let diag = prev[0]!;
    prev[0] = i;
    for (let j = 1; j <= b.length; j++) {
      const tmp = prev[j]!;
      prev[j] = Math.min(prev[j]! + 1, prev[j - 1]! + 1, diag + (a[i - 1] === b[j - 1] ? 0 : 1));
      diag = tmp;
    }
  }
  return prev[b.length]!;
}

/** The closest candidate within a distance that scales with the word, or undefined. */
export function suggest(word: string, candidates: Iterable<string>): string | undefined {
  const lower = word.toLowerCase();
  const limit = lower.length <= 4 ? 1 : lower.length <= 8 ? 2 : 3;
  let best: string | undefined;
  let bestDistance = Infinity;
  for (const c of candidates) {
    if (c === word) continue;
    // The distance is at least the difference in length: most candidates need no computing (a file
    // of a million junk lines asks a million times).
    if (Math.abs(c.length - lower.length) > limit) continue;
    // A case-only difference counts as the smallest possible typo.
    const d = c.toLowerCase() === lower ? 0.5 : editDistance(lower, c.toLowerCase());
    if (d < bestDistance) {
      best = c;
      bestDistance = d;
    }
  }
  return bestDistance <= limit && bestDistance > 0 ? best : undefined;
}
