/** Between the engine's run state (RunOutcome + VariableStore) and the recovery file. */
import { resolve } from 'node:path';
import type { Workflow } from '../../shared/taskfile/model.js';
import { isSecretName } from '../../shared/taskfile/keys.js';
import { envReferences, maskSecrets, secretValues } from '../../shared/taskfile/variables.js';
import type { RanOn } from '../engine/host-recap.js';
import type { AttemptRecord, RunOutcome, TaskResult } from '../engine/types.js';
import { VariableStore } from '../engine/variables.js';
import { RECOVERY_VERSION, sha256, type AttemptJson, type GlobalVarMeta, type RecoveryState, type TaskResultJson } from './state.js';

export interface RecoveryMeta {
  taskFile: string;
  taskText: string;
  workflow: Workflow;
  logFile?: string;
  /** `created` of the state being updated (kept across saves). */
  created?: string;
  now?: Date;
}

/**
 * The state to save after a top-level task. `next` is the task a resume starts at: the routed next
 * task at a checkpoint; the failed task when the run stopped on an unrouted failure (so a resume
 * retries it); undefined when the workflow has ended.
 */
export function stateFromOutcome(outcome: RunOutcome, store: VariableStore, next: number | undefined, meta: RecoveryMeta): RecoveryState {
  const secrets = secretValues(store.globals);
  const mask = (s: string): string => maskSecrets(s, secrets);
  const toJson = (r: TaskResult): TaskResultJson => ({
    key: r.key, exit_code: r.exitCode, stdout: mask(r.stdout), stderr: mask(r.stderr),
    ...(r.stdoutFile ? { stdout_file: r.stdoutFile } : {}), ...(r.stderrFile ? { stderr_file: r.stderrFile } : {}),
    success: r.success, timed_out: r.timedOut, skipped: r.skipped, duration_ms: r.durationMs,
    hostname: mask(r.hostname), command: mask(r.command),
    ...(r.ranOn ? { ran_on: r.ranOn } : {}), ...(r.unreachable ? { unreachable: true } : {}),
    ...(r.attempts ? { attempts: r.attempts.map(attemptToJson) } : {}),
  });
  const taskResults: Record<string, TaskResultJson> = {};
  for (const [key, r] of outcome.results) taskResults[key] = toJson(r);
  const latest: Record<string, string | TaskResultJson> = {};
  for (const [id, r] of store.byId) latest[String(id)] = outcome.results.get(r.key) === r ? r.key : toJson(r);

  const globalVars: Record<string, string> = {};
  const globalMeta: Record<string, GlobalVarMeta> = {};
  for (const g of meta.workflow.ast.globals.values()) {
    if (envReferences(g.value).length === 0) {
      globalMeta[g.name] = { source: 'literal' };
      continue;
    }
    const secret = isSecretName(g.name);
    globalMeta[g.name] = secret ? { source: 'env', template: g.value, secret: true } : { source: 'env', template: g.value };
    const v = store.globals.get(g.name);
    if (!secret && v !== undefined) globalVars[g.name] = mask(v);
  }

  const now = (meta.now ?? new Date()).toISOString();
  return {
    version: RECOVERY_VERSION,
    task_file_path: resolve(meta.taskFile),
    task_file_hash: sha256(meta.taskText),
    created: meta.created ?? now,
    updated: now,
    ...(meta.logFile ? { log_file: meta.logFile } : {}),
    execution_path: [...outcome.executionPath],
    loop_iterations: [...outcome.loopIterations],
    skipped_tasks: [...outcome.skippedTasks],
    next_task: next ?? null,
    task_results: taskResults,
    result_order: [...outcome.results.keys()],
    latest_by_id: latest,
    global_vars: globalVars,
    global_vars_metadata: globalMeta,
    failure_info: outcome.status === 'failed'
      ? { task_id: outcome.failedTask ?? outcome.finalTask ?? null, exit_code: outcome.exitCode, error: mask(outcome.reason) }
      : null,
  };
}

function fromJson(r: TaskResultJson): TaskResult {
  return {
    key: r.key, exitCode: r.exit_code, stdout: r.stdout, stderr: r.stderr,
    ...(r.stdout_file ? { stdoutFile: r.stdout_file } : {}), ...(r.stderr_file ? { stderrFile: r.stderr_file } : {}),
    success: r.success, timedOut: r.timed_out === true, skipped: r.skipped === true, durationMs: r.duration_ms ?? 0,
    hostname: r.hostname ?? '', command: r.command ?? '',
    ...(isRanOn(r.ran_on) ? { ranOn: r.ran_on } : {}), ...(r.unreachable === true ? { unreachable: true } : {}),
    ...(Array.isArray(r.attempts) ? { attempts: r.attempts.map(attemptFromJson) } : {}),
  };
}

function attemptToJson(a: AttemptRecord): AttemptJson {
  return {
    attempt: a.attempt, exit_code: a.exitCode, success: a.success, timed_out: a.timedOut, duration_ms: a.durationMs,
    ...(a.delayBeforeS !== undefined ? { delay_before_s: a.delayBeforeS } : {}),
  };
}

function attemptFromJson(a: AttemptJson): AttemptRecord {
  return {
    attempt: a.attempt, exitCode: a.exit_code, success: a.success, timedOut: a.timed_out === true, durationMs: a.duration_ms ?? 0,
    ...(typeof a.delay_before_s === 'number' ? { delayBeforeS: a.delay_before_s } : {}),
  };
}

/** The saved results, in the order the run produced them. */
export function restoreResults(state: RecoveryState): Map<string, TaskResult> {
  const results = new Map<string, TaskResult>();
  const order = [...state.result_order.filter((k) => k in state.task_results), ...Object.keys(state.task_results).filter((k) => !state.result_order.includes(k))];
  for (const key of order) results.set(key, fromJson(state.task_results[key]!));
  return results;
}

/** A VariableStore holding the saved results (`@N_stdout@` …) and the given globals. */
export function restoreStore(state: RecoveryState, globals: Map<string, string>, results = restoreResults(state)): VariableStore {
  const store = new VariableStore(globals);
  for (const [id, v] of Object.entries(state.latest_by_id)) {
    const r = typeof v === 'string' ? results.get(v) : fromJson(v);
    if (r) store.byId.set(Number(id), r);
  }
  return store;
}

/** Everything EngineOptions.resume needs; undefined when the saved run had ended. */
export function restoreResume(state: RecoveryState, globals: Map<string, string>): {
  next: number;
  store: VariableStore;
  outcome: Pick<RunOutcome, 'results' | 'executionPath' | 'loopIterations' | 'skippedTasks'>;
} | undefined {
  if (state.next_task === null) return undefined;
  const results = restoreResults(state);
  return {
    next: state.next_task,
    store: restoreStore(state, globals, results),
    outcome: {
      results,
      executionPath: [...state.execution_path],
      loopIterations: [...state.loop_iterations],
      skippedTasks: [...state.skipped_tasks],
    },
  };
}

/** `--show-recovery-info`: what was saved and where a resume would start. */
export function formatRecoveryInfo(state: RecoveryState, path?: string): string {
  const results = restoreResults(state);
  const ran = [...results.values()].filter((r) => !r.skipped);
  const lines = [
    `Recovery file: ${path ?? '(not saved)'}`,
    `Task file:     ${state.task_file_path}`,
    `File hash:     ${state.task_file_hash.slice(0, 16)}…`,
    `Created:       ${state.created}`,
    `Updated:       ${state.updated}`,
    ...(state.log_file ? [`Log file:      ${state.log_file}`] : []),
    `Executed:      ${state.execution_path.length ? state.execution_path.join(' → ') : '(nothing yet)'}`,
    ...(state.loop_iterations.length ? [`Loop runs:     ${state.loop_iterations.join(', ')}`] : []),
    ...(state.skipped_tasks.length ? [`Skipped:       ${state.skipped_tasks.join(', ')}`] : []),
    `Results:       ${ran.length} (${ran.filter((r) => r.success).length} succeeded, ${ran.filter((r) => !r.success).length} failed)`,
    state.next_task === null ? 'Resume at:     nothing left to run (the saved run ended)' : `Resume at:     task ${state.next_task}`,
  ];
  if (state.failure_info) {
    const f = state.failure_info;
    lines.push(`Failure:       task ${f.task_id ?? '?'}, exit code ${f.exit_code}: ${f.error}`);
  }
  const globals = Object.entries(state.global_vars_metadata);
  if (globals.length) {
    lines.push('Globals:');
    for (const [name, m] of globals) {
      lines.push(m.source === 'literal'
        ? `  ${name}: from the task file`
        : `  ${name}: from ${m.template}${m.secret ? ' (secret, not saved)' : ` = '${state.global_vars[name] ?? ''}'`}`);
    }
  }
  for (const key of state.result_order) {
    const r = state.task_results[key];
    if (!r) continue;
    lines.push(`  Task ${key}: ${r.skipped ? 'skipped' : `exit ${r.exit_code}, ${r.success ? 'success' : 'failed'}${r.timed_out ? ', timed out' : ''}`}`);
  }
  return lines.join('\n');
}

function isRanOn(v: unknown): v is RanOn {
  return v === 'local' || v === 'ssh' || (typeof v === 'string' && v.startsWith('agent:'));
}
