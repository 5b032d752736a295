/** The values `@…@` placeholders resolve to during a run: task results, then globals. */
import { expandEnv, substitute, TASK_VAR } from '../../shared/taskfile/variables.js';
import type { TaskResult } from './types.js';

export class VariableStore {
  /** Latest result of each task id (the last loop iteration; sub-tasks under their own id). */
  readonly byId = new Map<number, TaskResult>();

  constructor(readonly globals: Map<string, string>) {}

  lookup = (name: string): string | undefined => {
    const m = TASK_VAR.exec(name);
    if (m) {
      const r = this.byId.get(Number(m[1]));
      if (!r) return undefined;
      switch (m[2]!.toLowerCase()) {
        case 'stdout': return r.stdout.replace(/\r?\n$/, '');
        case 'stderr': return r.stderr.replace(/\r?\n$/, '');
        case 'exit': return String(r.exitCode);
        case 'success': return r.success ? 'True' : 'False';
        case 'stdout_file': return r.stdoutFile ?? '';
        case 'stderr_file': return r.stderrFile ?? '';
      }
    }
    return this.globals.get(name);
  };

  resolve = (text: string): string => substitute(text, this.lookup);

  /** Plain variables for --output-json: globals plus N_stdout/N_stderr/N_exit/N_success. */
  snapshot(): Record<string, string> {
    const out: Record<string, string> = Object.fromEntries(this.globals);
    for (const [id, r] of [...this.byId].sort((a, b) => a[0] - b[0])) {
      out[`${id}_stdout`] = r.stdout.replace(/\r?\n$/, '');
      out[`${id}_stderr`] = r.stderr.replace(/\r?\n$/, '');
      out[`${id}_exit`] = String(r.exitCode);
      out[`${id}_success`] = r.success ? 'True' : 'False';
    }
    return out;
  }
}

/**
 * A task's arguments as they run (and as the dry-run plan shows them): environment variables in
 * the text the file wrote are expanded first, by tasker (a shell expands its own, so `shell`
 * tasks are left to it), then `@…@` placeholders are substituted. Values that come from task
 * output or globals are never expanded again, so a task's output cannot pull in `$SECRET`.
 */
export function resolveArguments(raw: string, execType: string | undefined, env: NodeJS.ProcessEnv, resolve: (text: string) => string): string {
  return resolve(execType === 'shell' ? raw : expandEnv(raw, env).text);
}
