/** Reading a recovery file back and deciding whether, and where, a run may resume (PEER-TASKER §16). */
import { existsSync } from 'node:fs';
import { ExitCode } from '../../shared/exit-codes.js';
import type { Workflow } from '../../shared/taskfile/model.js';
import { expandEnv, findPlaceholders, TASK_VAR } from '../../shared/taskfile/variables.js';
import { readRecoveryFile, RECOVERY_VERSION, sha256, type RecoveryState, type TaskResultJson } from './state.js';

/** An env-derived global whose value differs from the saved run. */
export interface EnvChange {
  name: string;
  /** `changed`: the variable has another value now; `missing`: it is unset now. */
  kind: 'changed' | 'missing';
  secret: boolean;
  /** Env variables of the template that are unset now (for `missing`). */
  variables: string[];
  /** The value the resume uses: the current one, or for a missing non-secret the saved one. */
  using: 'current' | 'saved' | 'unexpanded';
}

export type LoadRecoveryResult =
  /** No recovery file: start normally. */
  | { state: null }
  | {
      state: RecoveryState;
      /** Task to resume at; null when the saved run had ended (nothing to resume: start over). */
      resumeAt: number | null;
      /** Globals to run with: current expansion, saved values for missing non-secret env vars. */
      globals: Map<string, string>;
      /** Non-empty → ask `Continue recovery? [y/N]` (unless -y), as the peer does. */
      envChanges: EnvChange[];
      warnings: string[];
    }
  | { error: string; exitCode: typeof ExitCode.START_FROM_INVALID };

export interface LoadRecoveryOptions {
  /** The task file's current content (its hash must match the saved one). */
  taskText: string;
  /** The current workflow, built with the current environment. */
  workflow: Workflow;
  env: NodeJS.ProcessEnv;
}

const refuse = (path: string, why: string): { error: string; exitCode: typeof ExitCode.START_FROM_INVALID } => ({
  error: `Cannot resume from recovery file ${path}: ${why}`,
  exitCode: ExitCode.START_FROM_INVALID,
});

/** Load the state at `path` and check that resuming it is safe. Never throws. */
export function loadRecovery(path: string, opts: LoadRecoveryOptions): LoadRecoveryResult {
  if (!existsSync(path)) return { state: null };
  let raw: unknown;
  try {
    raw = readRecoveryFile(path);
  } catch (e) {
    return refuse(path, `it is not readable JSON (${(e as Error).message}); delete it to start over`);
  }
  const shapeError = checkShape(raw);
  if (shapeError) return refuse(path, `${shapeError}; delete it to start over`);
  const state = structuredClone(raw) as RecoveryState;
  if (state.version !== RECOVERY_VERSION) {
    return refuse(path, `it has version '${String(state.version)}', this tasker reads version ${RECOVERY_VERSION}; delete it to start over`);
  }
  if (state.task_file_hash !== sha256(opts.taskText)) {
    return refuse(path, `the task file ${state.task_file_path} has changed since the run was saved (${state.updated}); resuming could run the wrong tasks. Delete the recovery file to start over, or restore the original task file`);
  }

  const wf = opts.workflow;
  const warnings: string[] = [];
  const resumeAt = state.next_task;
  if (resumeAt !== null) {
    const missing = missingDependencies(state, wf, resumeAt);
    if (missing.length > 0) {
      const list = missing.map((m) => `task ${m.task} (line ${m.line}) uses @${m.placeholder}@`).join('; ');
      return refuse(path, `resuming at task ${resumeAt} is unsafe: ${list}, but no result of ${missing.length > 1 ? 'those tasks' : `task ${missing[0]!.source}`} was saved. Delete the recovery file to start over`);
    }
  }

  for (const r of allResults(state)) {
    for (const k of ['stdout_file', 'stderr_file'] as const) {
      const f = r[k];
      if (f && !existsSync(f)) {
        warnings.push(`Task ${r.key}: the saved ${k} ${f} no longer exists; @…_${k}@ will be empty`);
        delete r[k];
      }
    }
  }

  const globals = new Map(wf.globals);
  const envChanges: EnvChange[] = [];
  for (const g of wf.ast.globals.values()) {
    const meta = state.global_vars_metadata[g.name];
    if (!meta || meta.source !== 'env') continue;
    const secret = meta.secret === true;
    const saved = state.global_vars[g.name];
    const unset = expandEnv(meta.template, opts.env).missing;
    if (unset.length > 0) {
      const using = saved !== undefined ? 'saved' : 'unexpanded';
      if (saved !== undefined) globals.set(g.name, saved);
      envChanges.push({ name: g.name, kind: 'missing', secret, variables: unset, using });
    } else if (saved !== undefined && saved !== wf.globals.get(g.name)) {
      envChanges.push({ name: g.name, kind: 'changed', secret, variables: [], using: 'current' });
    }
  }
  return { state, resumeAt, globals, envChanges, warnings };
}

/** Text for the `Continue recovery? [y/N]` prompt and the log; never prints a secret's value. */
export function describeEnvChange(c: EnvChange, state: RecoveryState, current: ReadonlyMap<string, string>): string {
  if (c.kind === 'missing') {
    const vars = c.variables.map((v) => `$${v}`).join(', ');
    return c.using === 'saved'
      ? `global ${c.name}: ${vars} is not set now; using the saved value '${state.global_vars[c.name]}'`
      : `global ${c.name}: ${vars} is not set now and ${c.secret ? 'a secret is never saved' : 'no value was saved'}; it stays unexpanded`;
  }
  return `global ${c.name} changed: saved '${state.global_vars[c.name]}', now '${current.get(c.name)}'; the resume uses the new value`;
}

interface MissingDependency {
  task: number;
  line: number;
  placeholder: string;
  source: number;
}

/**
 * Tasks that can still run (id ≥ resume point) and read `@N_…@` of a task N < resume point that
 * ran (or was passed over by the flow) in the saved run but whose result is not in the file. A task
 * jumped over, condition-skipped, below where the run started, or a block's sub-task (a branch not
 * taken) legitimately has no result: the placeholder stays literal, as in an uninterrupted run.
 */
function missingDependencies(state: RecoveryState, wf: Workflow, resumeAt: number): MissingDependency[] {
  const out: MissingDependency[] = [];
  const started = state.execution_path.length > 0 ? Math.min(...state.execution_path) : resumeAt;
  const legitimatelyAbsent = (n: number): boolean =>
    state.skipped_tasks.includes(n) || wf.subtaskIds.has(n) || n < started || !wf.tasks.has(n);
  for (const task of wf.tasks.values()) {
    if (task.id < resumeAt) continue;
    for (const f of task.fields.values()) {
      if (!f.value.includes('@')) continue;
      for (const p of findPlaceholders(f.value)) {
        const m = TASK_VAR.exec(p.name);
        if (!m) continue;
        const n = Number(m[1]);
        if (n >= resumeAt || state.latest_by_id[String(n)] !== undefined) continue;
        if (legitimatelyAbsent(n) && !state.execution_path.includes(n)) continue;
        out.push({ task: task.id, line: f.line, placeholder: p.name, source: n });
      }
    }
  }
  return out;
}

function allResults(state: RecoveryState): TaskResultJson[] {
  const inline = Object.values(state.latest_by_id).filter((v): v is TaskResultJson => typeof v === 'object');
  return [...Object.values(state.task_results), ...inline];
}

function checkShape(v: unknown): string | undefined {
  if (typeof v !== 'object' || v === null || Array.isArray(v)) return 'it does not hold a JSON object';
  const o = v as Record<string, unknown>;
  const isObj = (x: unknown): boolean => typeof x === 'object' && x !== null && !Array.isArray(x);
  const numArray = (x: unknown): boolean => Array.isArray(x) && x.every((n) => Number.isInteger(n));
  if (typeof o.version !== 'string') return 'it has no version';
  if (o.version !== RECOVERY_VERSION) return undefined; // reported with its own message
  if (typeof o.task_file_hash !== 'string') return 'task_file_hash is missing';
  if (!numArray(o.execution_path) || !numArray(o.skipped_tasks)) return 'execution_path/skipped_tasks are not lists of task ids';
  if (!Array.isArray(o.loop_iterations)) return 'loop_iterations is not a list';
  if (!(o.next_task === null || Number.isInteger(o.next_task))) return 'next_task is neither a task id nor null';
  if (!isObj(o.task_results) || !isObj(o.latest_by_id) || !Array.isArray(o.result_order)) return 'task results are missing';
  if (!isObj(o.global_vars) || !isObj(o.global_vars_metadata)) return 'global variables are missing';
  for (const r of Object.values(o.task_results as Record<string, unknown>)) {
    const t = r as Record<string, unknown>;
    if (!isObj(r) || typeof t.key !== 'string' || !Number.isInteger(t.exit_code) || typeof t.stdout !== 'string' || typeof t.stderr !== 'string' || typeof t.success !== 'boolean') {
      return 'a task result is malformed';
    }
    if (t.attempts !== undefined && !(Array.isArray(t.attempts) && t.attempts.every((x) => isObj(x) && Number.isInteger((x as Record<string, unknown>).attempt) && Number.isInteger((x as Record<string, unknown>).exit_code)))) {
      return "a task result's attempts are malformed";
    }
  }
  return undefined;
}
