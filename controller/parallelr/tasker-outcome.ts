/** What a tasker `--output-json` document says about how a task file ended (SPEC §3). */

export interface TaskerOutcome {
  /** Where the log was written (the log landed on this side, for a distributed file). */
  logFile?: string;
  /** The task whose failure ended the run (`execution_summary.failure_info.task_id`). */
  failedTask?: string;
  /** That task's own exit code (tasker itself exits 10 for an unrouted failure). */
  taskExitCode?: number | null;
}

/** The failing task and its own exit code, when the document has them; {} when it is unreadable. */
export function readTaskerOutcome(text: string): TaskerOutcome {
  let doc: unknown;
  try {
    doc = JSON.parse(text);
  } catch {
    return {};
  }
  const o = asObject(doc);
  const info = asObject(asObject(o?.execution_summary)?.failure_info);
  const id = info?.task_id;
  if (id === undefined || id === null) return {};
  const failedTask = String(id);
  const task = asObject(asObject(o?.task_results)?.[failedTask]);
  const code = task?.exit_code;
  return { failedTask, taskExitCode: typeof code === 'number' && Number.isInteger(code) ? code : null };
}

function asObject(v: unknown): Record<string, unknown> | undefined {
  return typeof v === 'object' && v !== null && !Array.isArray(v) ? (v as Record<string, unknown>) : undefined;
}

/** A failed tasker file's error message naming the failing task's own exit code: `Exit code 10: task 3 exited 2`. */
export function describeTaskerFailure(error: string, status: string, o: TaskerOutcome): string {
  if (status !== 'FAILED' || o.failedTask === undefined) return error;
  return `${error}: task ${o.failedTask} ${o.taskExitCode === null || o.taskExitCode === undefined ? 'failed' : `exited ${o.taskExitCode}`}`;
}
