import type { TaskFileAst, TaskNode } from './ast.js';
import type { Diagnostic } from './diagnostics.js';
import { suggest } from './diagnostics.js';
import { isTaskKey, TASK_KEYS, taskKeyName } from './keys.js';

export interface ParseResult {
  ast: TaskFileAst;
  diagnostics: Diagnostic[];
}

const GLOBAL_NAME = /^[A-Za-z_][A-Za-z0-9_]*$/;

/**
 * Diagnostics kept per parse. A 16 MiB file of junk lines has millions of problems; keeping them all
 * would cost gigabytes for a report that shows 50. Past the cap, warnings are only counted; the first
 * error past it is still kept (the file must fail), and one last diagnostic says how many were not kept.
 */
export const MAX_PARSE_DIAGNOSTICS = 10_000;

/**
 * Parse task-file text into an AST. Never throws: every problem becomes a positioned diagnostic and
 * parsing continues, so one run reports all of them.
 */
export function parseTaskFile(text: string, path: string): ParseResult {
  // A plain split is several times faster than a regex split; CRLF files take the regex.
  const lines = text.includes('\r') ? text.split(/\r?\n/) : text.split('\n');
  const diagnostics: Diagnostic[] = [];
  const ast: TaskFileAst = { path, lines, fileArgs: [], globals: new Map(), tasks: new Map() };
  let current: TaskNode | undefined;
  let skipping = false; // inside a task whose id was unusable: its keys are dropped
  let seenPair = false;
  const mayHaveNul = text.includes('\0');
  let dropped = 0;
  let droppedFrom = 0;
  let errorKept = false;
  /** Whether a diagnostic of this severity would be kept (a suggestion past the cap is not worth computing). */
  const keeps = (severity: Diagnostic['severity']): boolean => diagnostics.length < MAX_PARSE_DIAGNOSTICS || (severity === 'error' && !errorKept);
  const report = (d: Diagnostic): void => {
    if (keeps(d.severity)) {
      diagnostics.push(d);
      errorKept ||= d.severity === 'error';
      return;
    }
    if (dropped++ === 0) droppedFrom = d.line ?? 1;
  };

  for (let i = 0; i < lines.length; i++) {
    const lineNo = i + 1;
    const raw = lines[i]!;
    const indent = raw.length - raw.trimStart().length;
    const trimmed = raw.trim();
    if (trimmed === '' || trimmed.startsWith('#')) continue;
    if (mayHaveNul && trimmed.includes('\0')) {
      report({ code: 'NUL_BYTE', severity: 'error', message: 'line contains a NUL byte', line: lineNo, col: indent + 1 + trimmed.indexOf('\0') });
      continue;
    }
    if (!seenPair && trimmed.startsWith('-')) {
      ast.fileArgs.push({ text: stripComment(trimmed), line: lineNo });
      continue;
    }

    let key: string;
    let value: string;
    let valueCol: number;
    const eq = trimmed.indexOf('=');
    // The text before '=' (trimmed has no leading blank, so trimming its end trims it).
    const beforeEq = eq > 0 ? trimmed.slice(0, eq).trimEnd() : '';
    // Fast path: `key=value` with no blank inside the key (nearly every line; a task key has none).
    const keyHasBlank = eq > 0 && taskKeyName(beforeEq.toLowerCase()) === undefined && /\s/.test(beforeEq);
    const firstWord = eq > 0 && !keyHasBlank ? null : /^(\S+)(\s+)(.*)$/.exec(trimmed);
    if (eq > 0 && !(firstWord && firstWord[1]!.length < eq && isTaskKey(firstWord[1]!.toLowerCase()))) {
      key = beforeEq;
      const rest = trimmed.slice(eq + 1);
      const restTrimmed = rest.trimStart();
      valueCol = indent + eq + 2 + (rest.length - restTrimmed.length);
      value = stripComment(restTrimmed).trimEnd();
    } else if (firstWord && isTaskKey(firstWord[1]!.toLowerCase())) {
      key = firstWord[1]!;
      value = stripComment(firstWord[3]!).trimEnd();
      valueCol = indent + key.length + firstWord[2]!.length + 1;
      report({
        code: 'MISSING_EQUALS', severity: 'warning',
        message: `'${trimmed}' has no '='; read as ${key}=${value}`,
        line: lineNo, col: indent + 1, length: trimmed.length,
        hint: `write '${key}=${value}'`,
      });
    } else {
      const guess = !keeps('error') ? undefined : firstWord ? suggest(firstWord[1]!, TASK_KEYS) : suggest(trimmed, TASK_KEYS);
      report({
        code: eq === 0 ? 'MISSING_KEY' : 'NOT_A_PAIR', severity: 'error',
        message: eq === 0 ? `'${trimmed}' has no key before '='` : `'${trimmed}' is not a key=value pair`,
        line: lineNo, col: indent + 1, length: trimmed.length,
        hint: guess ? `did you mean '${guess}=…'?` : 'write key=value, or start the line with # to make it a comment',
      });
      continue;
    }
    seenPair = true;
    const keyCol = indent + 1;
    const lower = key.toLowerCase();

    if (lower === 'task') {
      skipping = false;
      current = undefined;
      const id = /^[0-9]+$/.test(value) ? Number(value) : NaN;
      if (!Number.isSafeInteger(id)) {
        report({
          code: 'INVALID_TASK_ID', severity: 'error',
          message: value === '' ? 'task id is empty' : `task id '${value}' is not a whole number`,
          line: lineNo, col: valueCol, length: Math.max(1, value.length),
          hint: 'task ids are whole numbers: task=0, task=1, …',
        });
        skipping = true;
        continue;
      }
      const existing = ast.tasks.get(id);
      if (existing) {
        report({
          code: 'DUPLICATE_TASK_ID', severity: 'error',
          message: `task ${id} is defined twice (first at line ${existing.line})`,
          line: lineNo, col: valueCol, length: value.length,
          hint: 'give every task a unique id',
        });
        skipping = true;
        continue;
      }
      current = { id, line: lineNo, fields: new Map() };
      current.fields.set('task', { key: 'task', value, line: lineNo, keyCol, valueCol });
      ast.tasks.set(id, current);
      continue;
    }
    if (skipping) continue;

    if (!current) {
      addGlobal(ast, { key, value, line: lineNo, keyCol, valueCol }, report);
      continue;
    }
    // The vocabulary's own string becomes the field's key: one string per key name, not one per line.
    const name = taskKeyName(lower);
    if (name === undefined) {
      const guess = keeps('warning') ? suggest(lower, TASK_KEYS) : undefined;
      report({
        code: 'UNKNOWN_KEY', severity: 'warning',
        message: `task ${current.id}: unknown key '${key}' is ignored${guess ? `; did you mean '${guess}'?` : ''}`,
        line: lineNo, col: keyCol, length: key.length,
      });
      continue;
    }
    const previous = current.fields.get(name);
    if (previous) {
      report({
        code: 'DUPLICATE_KEY', severity: 'warning',
        message: `task ${current.id}: '${lower}' is set again (first at line ${previous.line}); the last value wins`,
        line: lineNo, col: keyCol, length: key.length,
      });
    }
    current.fields.set(name, { key: name, value, line: lineNo, keyCol, valueCol });
  }
  if (dropped > 0) {
    diagnostics.push({
      code: 'TOO_MANY_DIAGNOSTICS', severity: 'warning',
      message: `${dropped} more problem(s) from this line on were not recorded (the parser keeps ${MAX_PARSE_DIAGNOSTICS})`,
      line: droppedFrom, col: 1, hint: 'fix the problems reported first, then validate again',
    });
  }
  return { ast, diagnostics };
}

/** A `NAME=value` line before the first task: a global variable (task keys there are ignored). */
function addGlobal(ast: TaskFileAst, f: { key: string; value: string; line: number; keyCol: number; valueCol: number }, report: (d: Diagnostic) => void): void {
  const { key, value, line: lineNo, keyCol, valueCol } = f;
  if (isTaskKey(key)) {
    report({
      code: 'KEY_OUTSIDE_TASK', severity: 'warning',
      message: `'${key}' is a task key but appears before the first task= line; it is ignored`,
      line: lineNo, col: keyCol, length: key.length,
      hint: 'move it below a task= line',
    });
    return;
  }
  if (!GLOBAL_NAME.test(key)) {
    report({
      code: 'INVALID_GLOBAL_NAME', severity: 'error',
      message: `'${key}' is not a valid variable name`,
      line: lineNo, col: keyCol, length: key.length,
      hint: 'global variable names use letters, digits and _, and do not start with a digit',
    });
    return;
  }
  if (key.length > 64) {
    report({ code: 'GLOBAL_NAME_TOO_LONG', severity: 'error', message: `variable name '${key}' is longer than 64 characters`, line: lineNo, col: keyCol, length: key.length });
    return;
  }
  if (ast.globals.has(key)) {
    report({
      code: 'DUPLICATE_GLOBAL', severity: 'warning',
      message: `global '${key}' is defined again (first at line ${ast.globals.get(key)!.line}); the last value wins`,
      line: lineNo, col: keyCol, length: key.length,
    });
  }
  ast.globals.set(key, { name: key, value, line: lineNo, valueCol });
}

/** Remove an inline comment: whitespace followed by '#', outside quotes. */
export function stripInlineComment(text: string): { text: string } {
  return { text: stripComment(text) };
}

function stripComment(text: string): string {
  if (!text.includes('#')) return text;
  const cut = commentStart(text, true);
  // An apostrophe in prose ("don't") leaves a quote open; then quotes cannot be trusted, so look again without them.
  const at = cut === undefined ? undefined : cut >= 0 ? cut : commentStart(text, false);
  return at !== undefined && at >= 0 ? text.slice(0, at).trimEnd() : text;
}

/** Offset of an inline comment; -1 when a quote stays open; undefined when there is none. */
function commentStart(text: string, honourQuotes: boolean): number | undefined {
  let quote: string | undefined;
  for (let i = 0; i < text.length; i++) {
    const c = text[i]!;
    if (quote) {
      if (c === '\\' && quote === '"') i++;
      else if (c === quote) quote = undefined;
      continue;
    }
    if (honourQuotes && (c === '"' || c === "'")) quote = c;
    else if (c === '#' && i > 0 && /\s/.test(text[i - 1]!)) return i;
  }
  return quote ? -1 : undefined;
}
