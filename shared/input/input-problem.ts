/** What the CLIs make of a refused input file: its exit code, its diagnostic, and the size option. */
import { ExitCode, type ExitCodeValue } from '../exit-codes.js';
import type { Diagnostic } from '../taskfile/diagnostics.js';
import { MiB, type InputProblem } from './read-bounded-file.js';

const CODES: Record<InputProblem['kind'], string> = {
  missing: 'FILE_MISSING',
  'not-regular': 'NOT_A_REGULAR_FILE',
  unreadable: 'FILE_UNREADABLE',
  'too-large': 'FILE_TOO_LARGE',
  'line-too-long': 'LINE_TOO_LONG',
  'invalid-utf8': 'INVALID_UTF8',
};

/** 30 missing, 31 not a regular file or unreadable, 20 for what is wrong inside the file. */
export function exitCodeOfProblem(problem: InputProblem): ExitCodeValue {
  if (problem.kind === 'missing') return ExitCode.FILE_MISSING;
  if (problem.kind === 'not-regular' || problem.kind === 'unreadable') return ExitCode.FILE_UNREADABLE;
  return ExitCode.VALIDATION_FAILED;
}

/** A problem inside the file as a positioned diagnostic (printed without a source excerpt). */
export function diagnosticOfProblem(problem: InputProblem): Diagnostic {
  const d: Diagnostic = { code: CODES[problem.kind], severity: 'error', message: problem.reason };
  if (problem.line !== undefined) {
    d.line = problem.line;
    d.col = problem.col ?? 1;
  }
  if (problem.hint !== undefined) d.hint = problem.hint;
  return d;
}

const UNITS: Record<string, number> = { '': 1, b: 1, k: 1024, kb: 1024, kib: 1024, m: MiB, mb: MiB, mib: MiB, g: 1024 * MiB, gb: 1024 * MiB, gib: 1024 * MiB };

/** `--max-file-size` values: bytes, or a number with K, M or G (powers of 1024): "16M", "512KiB". */
export function parseByteSize(text: string): number | undefined {
  const m = /^(\d+)\s*([a-z]*)$/i.exec(text.trim());
  if (!m) return undefined;
  const unit = UNITS[m[2]!.toLowerCase()];
  if (unit === undefined) return undefined;
  const n = Number(m[1]) * unit;
  return Number.isSafeInteger(n) && n > 0 ? n : undefined;
}
