/** Each task run of a run (loop iterations and block sub-tasks included), from the JSON result or the log. */
import { scanLines } from './scan-lines.js';

/** One explained decision (issue 17 item 1); rendered generically from its `text`. */
export interface DecisionView {
  kind?: string;
  text: string;
  route?: string;
}

export interface TaskView {
  /** Result key: "3", "3.2" (loop iteration), "4-401" (block sub-task). */
  key: string;
  /** The task id the key belongs to (the sub-task's own id for "4-401"). */
  id: number;
  command: string;
  hostname?: string;
  exitCode?: number;
  success?: boolean;
  timedOut?: boolean;
  skipped?: boolean;
  durationSeconds?: number;
  stdout?: string;
  stderr?: string;
  decisions: DecisionView[];
}

/** The task id a result key names: "3" → 3, "3.2" → 3, "4-401" → 401. */
export function idOfKey(key: string): number {
  const sub = /^\d+-(\d+)$/.exec(key);
  return Number(sub ? sub[1] : key.split('.')[0]);
}

function decisionsOf(value: unknown): DecisionView[] {
  if (!Array.isArray(value)) return [];
  return value
    .filter((d): d is Record<string, unknown> => typeof d === 'object' && d !== null)
    .map((d) => ({ kind: typeof d.kind === 'string' ? d.kind : undefined, text: typeof d.text === 'string' ? d.text : JSON.stringify(d), route: typeof d.route === 'string' ? d.route : d.route === undefined ? undefined : JSON.stringify(d.route) }));
}

/** The decisions of a result key, wherever the JSON keeps them: in the task's result, or a top-level map or list. */
function decisionsFor(doc: Record<string, unknown>, key: string, own: unknown): DecisionView[] {
  if (own !== undefined) return decisionsOf(own);
  const top = doc.decisions;
  if (Array.isArray(top)) return decisionsOf(top.filter((d) => typeof d === 'object' && d !== null && String((d as { task?: unknown }).task) === key));
  if (top && typeof top === 'object') return decisionsOf((top as Record<string, unknown>)[key]);
  return [];
}

export function tasksFromJson(doc: Record<string, unknown>): TaskView[] {
  const results = (doc.task_results ?? {}) as Record<string, Record<string, unknown>>;
  // A looped task has its iterations ("3.1", "3.2") and its last result again as "3": the
  // iterations take the place of "3" in the timeline.
  const keys = Object.keys(results);
  const ordered = keys.flatMap((k) => {
    if (k.includes('.')) return keys.some((x) => x === k.split('.')[0]) ? [] : [k];
    const its = keys.filter((x) => x.startsWith(`${k}.`));
    return its.length ? its : [k];
  });
  return ordered.map((key) => [key, results[key]!] as const).map(([key, r]) => ({
    key, id: idOfKey(key), command: String(r.command ?? ''), hostname: typeof r.hostname === 'string' ? r.hostname : undefined,
    exitCode: typeof r.exit_code === 'number' ? r.exit_code : undefined, success: r.success === true, timedOut: r.timed_out === true,
    skipped: r.skipped === true, durationSeconds: typeof r.duration_seconds === 'number' ? r.duration_seconds : undefined,
    stdout: typeof r.stdout === 'string' ? r.stdout : undefined, stderr: typeof r.stderr === 'string' ? r.stderr : undefined,
    decisions: decisionsFor(doc, key, r.decisions),
  }));
}

const LINE = /^\[[^\]]*\] Task (\d+(?:[.-]\d+)?): (?:Executing \[[^\]]*\](?: on ([^:]*))?: (.*)|Exit code: (-?\d+)|Completed - Success: (True|False))/;
/** A log is read this far for its tasks when there is no JSON result (the page says so). */
export const LOG_SCAN_BYTES = 64 << 20;

/** Tasks and the top-level path from a run log's "Executing", "Exit code" and "Completed" lines. */
export function tasksFromLog(path: string): { tasks: TaskView[]; executionPath: number[] } {
  const tasks = new Map<string, TaskView>();
  const latest = new Map<string, TaskView>();
  const executionPath: number[] = [];
  let order = 0;
  scanLines(path, 0, LOG_SCAN_BYTES, (line) => {
    const m = LINE.exec(line);
    if (!m) return true;
    const key = m[1]!;
    if (m[3] !== undefined) {
      // A revisited task gets a key of its own, so the timeline shows each visit.
      const k = tasks.has(key) ? `${key}#${++order}` : key;
      const view: TaskView = { key: k, id: idOfKey(key), command: m[3], hostname: m[2], decisions: [] };
      tasks.set(k, view);
      latest.set(key, view);
      if (/^\d+$/.test(key)) executionPath.push(Number(key));
      else if (/^\d+\.1$/.test(key)) executionPath.push(Number(key.split('.')[0]));
      return true;
    }
    const t = latest.get(key);
    if (t && m[4] !== undefined) t.exitCode = Number(m[4]);
    if (t && m[5] !== undefined) t.success = m[5] === 'True';
    return true;
  });
  return { tasks: [...tasks.values()], executionPath };
}
