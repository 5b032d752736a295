/** Everything the run page shows about one run, read when the page is asked for. */
import { readdirSync, readFileSync, statSync } from 'node:fs';
import { basename, dirname, join } from 'node:path';
import { defaultRegistry } from '../../shared/exec/index.js';
import type { Workflow } from '../../shared/taskfile/model.js';
import { parseTaskFile } from '../../shared/taskfile/parser.js';
import { buildWorkflow } from '../../shared/taskfile/validate.js';
import { secretValues } from '../../shared/taskfile/variables.js';
import { MAX_JSON_BYTES } from './read-records.js';
import type { RunSummary } from './run-summary.js';
import { tasksFromJson, tasksFromLog, type TaskView } from './task-views.js';

export interface RunDetail {
  run: RunSummary;
  workflow?: Workflow;
  taskFileCopy?: string;
  /** Values masked wherever this run's text is shown (the task file's secret globals). */
  secrets: string[];
  tasks: TaskView[];
  executionPath: number[];
  skipped: number[];
  warnings: string[];
  failure?: string;
}

/** The copy of the task file tasker made beside the log (`BASE/tasks/<log name>.<ext>`). */
export function findTaskFileCopy(logFile: string): string | undefined {
  const stem = basename(logFile).replace(/\.log$/, '');
  const dir = join(dirname(dirname(logFile)), 'tasks');
  try {
    const name = readdirSync(dir).find((n) => n.startsWith(`${stem}.`));
    return name ? join(dir, name) : undefined;
  } catch {
    return undefined;
  }
}

function loadWorkflow(path: string): Workflow | undefined {
  try {
    if (statSync(path).size > 16 << 20) return undefined;
    const parsed = parseTaskFile(readFileSync(path, 'utf8'), path);
    const registry = defaultRegistry();
    const execTypes = new Set([...registry.types.keys(), ...registry.aliases.keys()]);
    return buildWorkflow(parsed.ast, { env: process.env, execTypes }).workflow;
  } catch {
    return undefined;
  }
}

function readJson(path: string): Record<string, unknown> | undefined {
  try {
    if (statSync(path).size > MAX_JSON_BYTES) return undefined;
    return JSON.parse(readFileSync(path, 'utf8')) as Record<string, unknown>;
  } catch {
    return undefined;
  }
}

export function loadRunDetail(run: RunSummary): RunDetail {
  const copy = run.logFile ? findTaskFileCopy(run.logFile) : undefined;
  const workflow = copy ? loadWorkflow(copy) : undefined;
  const secrets = workflow ? secretValues(workflow.globals) : [];
  const detail: RunDetail = { run, workflow, taskFileCopy: copy, secrets, tasks: [], executionPath: [], skipped: [], warnings: [] };
  const doc = run.jsonFile ? readJson(run.jsonFile) : undefined;
  if (doc) {
    const summary = (doc.execution_summary ?? {}) as { execution_path?: number[]; skipped_tasks?: number[]; failure_info?: { error?: string } };
    detail.executionPath = Array.isArray(summary.execution_path) ? summary.execution_path : [];
    detail.skipped = Array.isArray(summary.skipped_tasks) ? summary.skipped_tasks : [];
    detail.failure = summary.failure_info?.error;
    detail.warnings = Array.isArray(doc.warnings) ? doc.warnings.map(String) : [];
    detail.tasks = tasksFromJson(doc);
  } else if (run.logFile && run.kind === 'tasker') {
    const fromLog = tasksFromLog(run.logFile);
    detail.tasks = fromLog.tasks;
    detail.executionPath = fromLog.executionPath;
    if (workflow) detail.skipped = workflow.ids.filter((id) => !workflow.subtaskIds.has(id) && !fromLog.executionPath.includes(id));
  }
  return detail;
}
