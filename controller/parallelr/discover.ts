import { existsSync, readdirSync, statSync } from 'node:fs';
import { exitCodeOfProblem } from '../../shared/input/index.js';
import { readBoundedFile } from '../../shared/input/index.js';
import { isAbsolute, join, relative, resolve } from 'node:path';
import { expandGlob, hasGlob } from './glob.js';
import type { TaskEntry } from './types.js';

/** A task file found in file mode: as given, and absolute. */
export interface FoundFile {
  given: string;
  absolute: string;
}

/**
 * File mode (peer §4): each `-T` value is a file, a directory (its regular files, not recursive, hidden
 * ones included) or a glob. Filtered by extension (case-insensitive, leading dot optional), de-duplicated
 * by absolute path and sorted by the name as given.
 */
export function discoverTaskFiles(
  paths: readonly string[],
  opts: { cwd: string; extensions?: readonly string[] },
): { files: FoundFile[] } | { error: string } {
  const exts = (opts.extensions ?? []).map((e) => (e.startsWith('.') ? e : `.${e}`).toLowerCase());
  const found = new Map<string, FoundFile>();
  const add = (given: string) => {
    const absolute = resolve(opts.cwd, given);
    if (exts.length && !exts.some((e) => absolute.toLowerCase().endsWith(e))) return;
    if (!found.has(absolute)) found.set(absolute, { given, absolute });
  };
  for (const p of paths) {
    const abs = resolve(opts.cwd, p);
    const st = statOrUndefined(abs);
    if (st?.isFile()) add(p);
    else if (st?.isDirectory()) {
      for (const d of readdirSync(abs, { withFileTypes: true })) {
        if (d.isFile() || (d.isSymbolicLink() && statOrUndefined(join(abs, d.name))?.isFile())) add(join(p, d.name));
      }
    } else if (hasGlob(p)) {
      const matches = expandGlob(p, opts.cwd);
      const files = matches.filter((m) => statOrUndefined(resolve(opts.cwd, m))?.isFile());
      if (files.length === 0) return { error: `-T ${p}: no file matches this pattern` };
      for (const m of files) add(m);
    } else {
      return { error: `-T ${p}: path does not exist` };
    }
  }
  const files = [...found.values()].sort((a, b) => (a.given < b.given ? -1 : a.given > b.given ? 1 : 0));
  if (files.length === 0) {
    return { error: exts.length ? `no task files with extension ${exts.join(', ')} in ${paths.join(' ')}` : `no task files in ${paths.join(' ')}` };
  }
  return { files };
}

export const SEPARATORS = ['space', 'whitespace', 'tab', 'comma', 'semicolon', 'pipe', 'colon'] as const;
export type Separator = (typeof SEPARATORS)[number];

const SEPARATOR_RE: Record<Separator, RegExp> = {
  space: / +/,
  whitespace: /\s+/,
  tab: /\t+/,
  comma: /,/,
  semicolon: /;/,
  pipe: /\|/,
  colon: /:/,
};

/** A parsed arguments file: one row of fields per non-empty, non-comment line. */
export interface ArgumentRow {
  line: number;
  fields: string[];
}

/**
 * Reads an arguments file (peer §5): lines trimmed, empty and `#` lines skipped; without a separator the
 * whole line is one argument; with one, fields are trimmed and empty fields dropped. Every line must give
 * the same number of fields.
 */
export function readArgumentsFile(path: string, separator?: Separator): { rows: ArgumentRow[] } | { error: string; exitCode?: number } {
  const read = readBoundedFile(path);
  if (!read.ok) {
    const { problem } = read;
    const where = problem.line !== undefined ? `${path}:${problem.line}:${problem.col ?? 1}` : path;
    return { error: `-A ${where}: ${problem.line !== undefined ? problem.reason : `the file ${problem.reason}`}`, exitCode: exitCodeOfProblem(problem) };
  }
  const text = read.text;
  const rows: ArgumentRow[] = [];
  text.split(/\r?\n/).forEach((raw, i) => {
    const line = raw.trim();
    if (line === '' || line.startsWith('#')) return;
    const fields = separator ? line.split(SEPARATOR_RE[separator]).map((f) => f.trim()).filter((f) => f !== '') : [line];
    rows.push({ line: i + 1, fields });
  });
  if (rows.length === 0) return { error: `-A ${path}: no arguments (every line is empty or a comment)` };
  const counts = new Map<number, number[]>();
  for (const r of rows) counts.set(r.fields.length, [...(counts.get(r.fields.length) ?? []), r.line]);
  if (counts.size > 1) {
    const detail = [...counts.entries()]
      .map(([n, lines]) => `${n} argument(s) on line${lines.length > 1 ? 's' : ''} ${lines.slice(0, 10).join(', ')}${lines.length > 10 ? ', …' : ''}`)
      .join('; ');
    return { error: `${path}: every line must have the same number of arguments: ${detail}` };
  }
  return { rows };
}

/** Fallback directories searched for a relative -T template / -A file that does not exist (peer §5.1). */
export function fallbackDirs(home: string): string[] {
  return ['tasker/test_cases', 'TASKER/test_cases', 'tasker/test_cases/functional', 'TASKER/test_cases/functional'].map((d) => join(home, d));
}

/**
 * Resolves a template or arguments file: absolute → must exist; relative and existing → as given; else
 * the first fallback directory holding it (never escaping that directory), flagged so the caller can ask.
 */
export function resolveInputFile(
  given: string,
  opts: { cwd: string; home: string; search: boolean },
): { path: string; fromFallback: boolean } | { error: string } {
  const direct = resolve(opts.cwd, given);
  if (existsSync(direct)) return { path: direct, fromFallback: false };
  if (isAbsolute(given) || !opts.search) return { error: `${given}: file does not exist` };
  const dirs = fallbackDirs(opts.home);
  for (const base of dirs) {
    const candidate = resolve(base, given);
    const rel = relative(base, candidate);
    if (rel.startsWith('..') || isAbsolute(rel)) continue;
    if (statOrUndefined(candidate)?.isFile()) return { path: candidate, fromFallback: true };
  }
  const existing = dirs.filter((d) => existsSync(d));
  return { error: `${given}: file does not exist${existing.length ? ` (also searched ${existing.join(', ')})` : ''}` };
}

/** Builds the entries for file mode. */
export function fileEntries(files: readonly FoundFile[]): TaskEntry[] {
  return files.map((f, i) => ({ index: i + 1, taskFile: f.given, taskPath: f.absolute, arguments: [], envVars: {} }));
}

/** Builds the entries for arguments mode: one per row, `-E` names mapped positionally to fields. */
export function argumentEntries(
  rows: readonly ArgumentRow[],
  template: { given: string; absolute: string } | null,
  envNames: readonly string[],
): TaskEntry[] {
  return rows.map((r, i) => {
    const envVars: Record<string, string> = {};
    envNames.forEach((name, k) => {
      if (r.fields[k] !== undefined) envVars[name] = r.fields[k]!;
    });
    return { index: i + 1, taskFile: template?.given ?? null, taskPath: template?.absolute ?? null, arguments: [...r.fields], envVars };
  });
}

function statOrUndefined(p: string) {
  try {
    return statSync(p);
  } catch {
    return undefined;
  }
}
