/** A bounded report of many diagnostics: the first 50 (errors chosen before warnings), then a count of the rest. */
import type { Diagnostic } from './diagnostics.js';
import { formatDiagnostic, sortDiagnostics } from './diagnostics.js';

/** How many diagnostics a report shows unless every one is asked for (`--all-diagnostics`). */
export const DIAGNOSTICS_SHOWN = 50;

export interface DiagnosticListOptions {
  /** Show every diagnostic. */
  all?: boolean;
  limit?: number;
  /** The option that shows them all, named in the "… and N more" line. */
  allOption?: string;
}

/**
 * The diagnostics as printed, one string each, in position order. Over the limit, errors are kept
 * before warnings (a flood of warnings must not hide the error that stops the run), and a last line
 * says how many were left out and how to see them.
 */
export function formatDiagnosticList(diagnostics: readonly Diagnostic[], fileName: string, lines?: readonly string[], opts: DiagnosticListOptions = {}): string[] {
  const limit = opts.limit ?? DIAGNOSTICS_SHOWN;
  const sorted = sortDiagnostics(diagnostics);
  if (opts.all || sorted.length <= limit) return sorted.map((d) => formatDiagnostic(d, fileName, lines));
  const errors = sorted.filter((d) => d.severity === 'error');
  const kept = new Set(errors.slice(0, limit));
  for (const d of sorted) {
    if (kept.size >= limit) break;
    kept.add(d);
  }
  const shown = sorted.filter((d) => kept.has(d)).map((d) => formatDiagnostic(d, fileName, lines));
  const left = sorted.filter((d) => !kept.has(d));
  const leftErrors = left.filter((d) => d.severity === 'error').length;
  const parts = [leftErrors ? `${leftErrors} error(s)` : '', left.length - leftErrors ? `${left.length - leftErrors} warning(s)` : ''].filter(Boolean);
  shown.push(`… and ${left.length} more (${parts.join(', ')})${opts.allOption ? `; ${opts.allOption} shows them all` : ''}`);
  return shown;
}
