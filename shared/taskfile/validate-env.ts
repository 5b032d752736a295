/**
 * Environment variables in a task file, checked before anything runs: tasker expands `$VAR` in
 * globals (when the file is read) and in the arguments of every task that does not run through a
 * shell (when the task runs). An unset variable without a default there is an error where it is
 * used — a global some task uses, or a task's arguments — and a warning in a global no task uses.
 */
import type { FieldValue, GlobalVar, TaskFileAst } from './ast.js';
import type { Diagnostic } from './diagnostics.js';
import { allEnvReferences, expandEnvText, scanEnv } from './env-expand.js';
import type { BadEnvReference, EnvReference } from './env-expand.js';
import type { Task } from './model.js';
import { findPlaceholders, substitute } from './variables.js';

export interface EnvCheckOptions {
  env: NodeJS.ProcessEnv;
  /** Only `TASKER_*` variables may be used (--strict-env-validation). */
  strictEnv?: boolean;
  /**
   * Whether a task runs through a shell (which expands `$VAR` itself, so tasker leaves its
   * arguments alone); undefined when that cannot be known before the run.
   */
  runsInShell: (task: Task, resolveGlobals: (text: string) => string) => boolean | undefined;
}

const SUPPORTED = 'supported forms: $VAR, ${VAR}, ${VAR:-default} (unset or empty), ${VAR-default} (unset)';
const CONDITION_KEYS = ['success', 'failure', 'next', 'condition', 'loop_break'];
/** Variables named per field and kind of problem; the last one says how many more there are. */
const MAX_PER_FIELD = 10;

/** Globals expanded from the environment, by name (unset variables without a default stay literal). */
export function expandGlobals(ast: TaskFileAst, env: NodeJS.ProcessEnv): Map<string, string> {
  const globals = new Map<string, string>();
  for (const g of ast.globals.values()) globals.set(g.name, expandEnvText(g.value, env).text);
  return globals;
}

export function checkEnvironment(ast: TaskFileAst, tasks: ReadonlyMap<number, Task>, globals: ReadonlyMap<string, string>, opts: EnvCheckOptions, diagnostics: Diagnostic[]): void {
  const used = usedGlobals(ast, tasks);
  for (const g of ast.globals.values()) {
    if (!g.value.includes('$')) continue;
    const { missing, bad } = expandEnvText(g.value, opts.env);
    const where = { line: g.line, col: g.valueCol };
    const isUsed = used.has(g.name);
    const tail = isUsed ? '' : `; no task uses '${g.name}', so this is only a warning`;
    for (const ref of firstOfEach(missing)) {
      diagnostics.push(envDiagnostic('UNSET_ENV_VAR', isUsed ? 'error' : 'warning', where, ref,
        `global '${g.name}' uses $${ref.name}, which is not set${tail}`,
        `set ${ref.name} in the environment, or give a default: \${${ref.name}:-value}`));
    }
    for (const b of bad.slice(0, MAX_PER_FIELD)) diagnostics.push(badDiagnostic(where, b, `global '${g.name}'`, isUsed));
    if (opts.strictEnv) strictCheck(allEnvReferences(g.value), where, `global '${g.name}' uses`, diagnostics);
  }

  const resolveGlobals = (text: string): string => substitute(text, (n) => globals.get(n));
  for (const task of tasks.values()) {
    const args = task.fields.get('arguments');
    const command = task.fields.get('command');
    if (hasDollar(args) || hasDollar(command)) {
      const shell = opts.runsInShell(task, resolveGlobals);
      if (shell === false && hasDollar(args)) checkArguments(task, args, opts, diagnostics);
      if (shell === false && hasDollar(command)) notExpanded(task, command, 'command', diagnostics);
    }
    for (const key of CONDITION_KEYS) {
      const f = task.fields.get(key);
      if (hasDollar(f)) notExpanded(task, f, key, diagnostics);
    }
  }
}

function hasDollar(f: FieldValue | undefined): f is FieldValue {
  return f !== undefined && f.value.includes('$');
}

function checkArguments(task: Task, field: FieldValue, opts: EnvCheckOptions, diagnostics: Diagnostic[]): void {
  const { missing, bad } = expandEnvText(field.value, opts.env);
  const where = { line: field.line, col: field.valueCol };
  for (const ref of firstOfEach(missing)) {
    diagnostics.push(envDiagnostic('UNSET_ENV_ARGUMENT', 'error', where, ref,
      `task ${task.id}: arguments use $${ref.name}, which is not set`,
      `set ${ref.name}, give a default (\${${ref.name}:-value}), or, if the program itself should see '$${ref.name}' (a script for sh -c), write it in single quotes or as \\$${ref.name}`));
  }
  for (const b of bad.slice(0, MAX_PER_FIELD)) diagnostics.push(badDiagnostic(where, b, `task ${task.id}: arguments`, true));
  if (opts.strictEnv) strictCheck(allEnvReferences(field.value), where, `task ${task.id}: arguments use`, diagnostics);
}

/** `$VAR` where tasker does not expand it: said once per field, so nobody expects a value there. */
function notExpanded(task: Task, field: FieldValue, key: string, diagnostics: Diagnostic[]): void {
  const ref = scanEnv(field.value).refs[0];
  if (!ref) return;
  const text = field.value.slice(ref.offset, ref.offset + ref.length);
  diagnostics.push(envDiagnostic('ENV_NOT_EXPANDED', 'warning', { line: field.line, col: field.valueCol }, ref,
    `task ${task.id}: ${key} holds '${text}', which tasker does not expand there; it stays literal text`,
    `environment variables are expanded in globals and arguments: define a global (NAME=${text}) before the first task and write @NAME@ here`));
}

function strictCheck(refs: EnvReference[], where: { line: number; col: number }, whatUses: string, diagnostics: Diagnostic[]): void {
  for (const ref of firstOfEach(refs.filter((r) => !r.name.startsWith('TASKER_')))) {
    diagnostics.push(envDiagnostic('ENV_NOT_ALLOWED', 'error', where, ref,
      `${whatUses} $${ref.name}; with --strict-env-validation only TASKER_* variables are allowed`,
      `rename the variable to TASKER_${ref.name}, or drop --strict-env-validation`));
  }
}

/**
 * One reference per variable name (its first), so a name repeated in a field is reported once; at
 * most MAX_PER_FIELD names of one field (a hostile line can hold a hundred thousand).
 */
function firstOfEach(refs: EnvReference[]): (EnvReference & { more?: number })[] {
  const seen = new Set<string>();
  const out: (EnvReference & { more?: number })[] = [];
  for (const r of refs) {
    if (seen.has(r.name)) continue;
    seen.add(r.name);
    if (out.length < MAX_PER_FIELD) out.push(r);
  }
  if (seen.size > out.length) out[out.length - 1] = { ...out[out.length - 1]!, more: seen.size - out.length };
  return out;
}

function envDiagnostic(code: string, severity: Diagnostic['severity'], where: { line: number; col: number }, ref: EnvReference & { more?: number }, message: string, hint: string): Diagnostic {
  const more = ref.more ? ` (and ${ref.more} more variable${ref.more === 1 ? '' : 's'} in this field, not listed)` : '';
  return { code, severity, message: message + more, hint, line: where.line, col: where.col + ref.offset, length: ref.length };
}

function badDiagnostic(where: { line: number; col: number }, b: BadEnvReference, what: string, isUsed: boolean): Diagnostic {
  const shown = b.text.length > 40 ? `${b.text.slice(0, 40)}…` : b.text;
  return {
    code: 'BAD_ENV_REFERENCE', severity: isUsed ? 'error' : 'warning',
    message: `${what}: '${shown}' is not an environment reference tasker understands; it would stay literal text`,
    hint: `${SUPPORTED}; write \\$ for a literal $`,
    line: where.line, col: where.col + b.offset, length: Math.min(b.length, 200),
  };
}

/** Globals some task uses, directly (`@G@` in any field) or through another used global. */
function usedGlobals(ast: TaskFileAst, tasks: ReadonlyMap<number, Task>): Set<string> {
  const used = new Set<string>();
  const pending: string[] = [];
  const mark = (text: string): void => {
    if (!text.includes('@')) return;
    for (const p of findPlaceholders(text)) {
      if (ast.globals.has(p.name) && !used.has(p.name)) {
        used.add(p.name);
        pending.push(p.name);
      }
    }
  };
  for (const task of tasks.values()) for (const f of task.fields.values()) mark(f.value);
  while (pending.length) mark((ast.globals.get(pending.pop()!) as GlobalVar).value);
  return used;
}
