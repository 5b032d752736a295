/**
 * `--rerun-failed RESULTS.jsonl`: the entries of an earlier run (local or distributed) whose rows
 * did not succeed, to run again with the same -C. A results file that is not one is refused with
 * the place (file:line:col) and what is wrong, never half-read.
 */
import { existsSync, statSync } from 'node:fs';
import { isAbsolute, resolve } from 'node:path';
import { readBoundedFile } from '../../shared/input/index.js';
import { escapeControlChars } from '../../shared/text/index.js';
import { InputError } from '../../shared/errors/index.js';
import { TASK_STATUSES, type TaskEntry, type TaskStatus } from './types.js';

interface Row {
  line: number;
  taskFile: string | null;
  arguments: string[];
  command: string;
  status: TaskStatus;
}

/** The failed entries of `path` (file order, one per task file / argument line), `envNames` mapped onto arguments. */
export function readFailedEntries(path: string, cwd: string, envNames: readonly string[]): { entries: TaskEntry[]; rows: number } {
  const file = resolve(cwd, path);
  const read = readBoundedFile(file);
  if (!read.ok) {
    const p = read.problem;
    const where = p.line !== undefined ? `${path}:${p.line}:${p.col ?? 1}` : path;
    throw new InputError(`--rerun-failed ${where}: ${p.kind === 'missing' ? 'no such file' : p.reason}`);
  }
  // The last row of an entry counts (a resumed run may have written an entry again).
  const last = new Map<string, Row>();
  let rows = 0;
  read.text.split('\n').forEach((text, i) => {
    if (text.trim() === '') return;
    const row = parseRow(text, path, i + 1);
    rows++;
    const key = JSON.stringify([row.taskFile, row.arguments]);
    last.delete(key);
    last.set(key, row);
  });
  if (rows === 0) throw new InputError(`--rerun-failed ${path}: the file has no results rows`);
  const failed = [...last.values()].filter((r) => r.status !== 'SUCCESS');
  const entries = failed.map((r, i) => {
    const envVars: Record<string, string> = {};
    envNames.forEach((name, k) => {
      if (r.arguments[k] !== undefined) envVars[name] = r.arguments[k]!;
    });
    const taskPath = r.taskFile === null ? null : locate(r, path, cwd);
    return { index: i + 1, taskFile: r.taskFile, taskPath, arguments: r.arguments, envVars };
  });
  return { entries, rows };
}

function parseRow(text: string, path: string, line: number): Row {
  const bad = (col: number, what: string) =>
    new InputError(`--rerun-failed ${path}:${line}:${col}: ${what}; expected a parallelr results file (one JSON object per line, docs/schemas/parallelr-result.schema.json)`);
  let v: unknown;
  try {
    v = JSON.parse(text);
  } catch (e) {
    throw bad(errorColumn(text, (e as Error).message), `not JSON (${escapeControlChars((e as Error).message.split('\n')[0]!.slice(0, 120))})`);
  }
  if (typeof v !== 'object' || v === null || Array.isArray(v)) throw bad(1, 'not a JSON object');
  const o = v as Record<string, unknown>;
  if (!TASK_STATUSES.includes(o.status as TaskStatus)) throw bad(1, `\`status\` must be one of ${TASK_STATUSES.join(', ')}`);
  if (o.task_file !== null && (typeof o.task_file !== 'string' || o.task_file === '')) throw bad(1, '`task_file` must be a file name or null');
  if (!Array.isArray(o.arguments) || !o.arguments.every((a) => typeof a === 'string')) throw bad(1, '`arguments` must be a list of strings');
  if (o.task_file === null && o.arguments.length === 0) throw bad(1, 'a row needs a `task_file` or `arguments`');
  return { line, taskFile: o.task_file as string | null, arguments: o.arguments as string[], command: typeof o.command === 'string' ? o.command : '', status: o.status as TaskStatus };
}

/** The 1-based column of a JSON.parse error: its `position N`, else the first occurrence of its unexpected token. */
function errorColumn(text: string, message: string): number {
  const at = /position (\d+)/.exec(message);
  if (at) return Number(at[1]) + 1;
  const token = /Unexpected token '(.)'/.exec(message);
  const i = token ? text.indexOf(token[1]!) : -1;
  return i === -1 ? 1 : i + 1;
}

/**
 * The task file of a row: as named (absolute, or relative to here), else the absolute path the
 * row's command ran (a results file may be read from another directory than its run's).
 */
function locate(r: Row, path: string, cwd: string): string {
  const named = r.taskFile!;
  if (isAbsolute(named) || isFile(resolve(cwd, named))) return resolve(cwd, named);
  for (const word of r.command.split(/\s+/)) {
    const unquoted = word.replace(/^'|'$/g, '');
    if (isAbsolute(unquoted) && unquoted.endsWith(`/${named.replace(/^\.\//, '')}`) && isFile(unquoted)) return unquoted;
  }
  throw new InputError(`--rerun-failed ${path}:${r.line}: task file ${named} is not found here (${cwd}) nor at the path its command ran; run from the directory of the original run`);
}

function isFile(p: string): boolean {
  return existsSync(p) && statSync(p).isFile();
}
