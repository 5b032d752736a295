/**
 * The decisions of a run (docs/task-files.md "Explained decisions"): each flow decision with its
 * terms, their values and the route taken. A decision whose route is known later (a task's
 * `success`, routed after it is stored, or retried) waits for it, then is written once: to the log
 * file and to the console with `--explain` (INFO) or `-d` (DEBUG, the log file only with
 * `--output-json` alone, and always), and kept for the JSON `decisions` with `--output-json`. The
 * implicit `success (default)` of a task without `next` only when shown or kept. Odd operands warn
 * once per task and term, always.
 */
import type { DecisionTerm, ExplainedCondition, TermWarning } from '../../shared/taskfile/explain.js';
import type { RunLog } from './run-log.js';

export type DecisionKind = 'condition' | 'next' | 'success' | 'failure' | 'loop_break' | 'loop' | 'block' | 'decision' | 'conditional';

/** Which decision an evaluation makes: its kind, the result key it belongs to, its route when known at once. */
export interface DecisionSite {
  kind: DecisionKind;
  key: string;
  /** The route for each result, when the caller knows it before evaluating. */
  route?: (result: boolean) => string;
  /** Replaces the kind in the text (`decision (failure)`). */
  label?: string;
}

/** One decision as the JSON `decisions` lists it. */
export interface Decision {
  kind: DecisionKind;
  /** The whole line as shown: `next exit_0: 0 = 0 → true → task 5`. */
  text: string;
  terms: DecisionTerm[];
  result: boolean;
  /** Where the run went: `task 5`, `loop again`, `end (exit 10)`, …; null when this decision routed nothing itself. */
  route: string | null;
}

export interface DecisionLogOptions {
  /** `info`: on the console (`--explain`); `debug`: on the console with `-d` only. Both: in the log file (when recorded). */
  show: 'info' | 'debug';
  /** Keep them for the JSON `decisions` (`--output-json`). */
  keep: boolean;
}

/** Most decisions kept per result key (a task revisited by a goto cycle): the latest. */
export const MAX_DECISIONS_PER_KEY = 100;

const LABELS: Partial<Record<DecisionKind, string>> = { loop: 'loop while' };

export class DecisionLog {
  /** By result key ("3", "3.2", "4-401"), in order; filled when `keep`. */
  readonly byKey = new Map<string, Decision[]>();
  private readonly pending = new Map<string, Decision & { label: string }>();
  private readonly warned = new Set<string>();

  constructor(private readonly log: RunLog, private readonly opts: DecisionLogOptions) {}

  /**
   * Whether the implicit decision of a task without `next` (`success (default)`: exit code 0) is
   * recorded too: only when shown or kept, so a plain run of many tasks pays nothing for it.
   */
  get recordsDefaults(): boolean {
    return this.opts.keep || this.visible;
  }

  /** Warnings about a condition's operands, once per task and term. */
  warn(key: string, warnings: readonly TermWarning[]): void {
    for (const w of warnings) this.warnOnce(key, w.expr, w.message);
  }

  /**
   * A decision at `key`; `route` given: written now, else when {@link route} names it (or at
   * {@link flush}). `label` replaces the kind in the text (`success (default)`).
   */
  record(key: string, kind: DecisionKind, explained: Pick<ExplainedCondition, 'result' | 'terms'> & Partial<ExplainedCondition>, route?: string, label?: string): void {
    this.write(key);
    this.warn(key, explained.warnings ?? []);
    const decision: Decision & { label: string } = { kind, text: '', terms: explained.terms, result: explained.result, route: null, label: label ?? LABELS[kind] ?? kind };
    this.pending.set(key, decision);
    if (route !== undefined) this.route(key, route);
  }

  /** Whether decisions are shown on the console (`--explain`, `-d`). */
  get visible(): boolean {
    return this.opts.show === 'info' || this.log.debugEnabled;
  }

  /** The route taken after the decision waiting at `key`, which is then written; false when none waited. */
  route(key: string, route: string): boolean {
    const d = this.pending.get(key);
    if (!d) return false;
    d.route = route;
    this.write(key);
    return true;
  }

  /** A term added to the decision waiting at `key` that overrides its result (a timeout fails a task whatever `failure=` says). */
  override(key: string, term: DecisionTerm): void {
    const d = this.pending.get(key);
    if (!d) return;
    d.terms = [...d.terms, term];
    d.result = term.result;
  }

  /** Write every decision still waiting for a route (a block's sub-tasks, the end of the run). */
  flush(): void {
    for (const key of [...this.pending.keys()]) this.write(key);
  }

  private write(key: string): void {
    const d = this.pending.get(key);
    if (!d) return;
    this.pending.delete(key);
    const { label, ...decision } = d;
    decision.text = decisionText(label, decision);
    const line = `Task ${key}: ${decision.text}`;
    if (this.opts.show === 'info') this.log.info(line);
    else this.log.debug(line);
    if (!this.opts.keep) return;
    const list = this.byKey.get(key) ?? [];
    if (list.length === MAX_DECISIONS_PER_KEY) list.shift();
    list.push(decision);
    this.byKey.set(key, list);
  }

  /** Once per top-level task and term: loop iterations (`3.2`) and a block's sub-tasks (`4-401`, a fan-out's hosts) share it. */
  private warnOnce(key: string, expr: string, message: string): void {
    const task = key.replace(/\.\d+$/, '');
    const id = `${task.replace(/-.*$/, '')}\0${expr}`;
    if (this.warned.has(id)) return;
    this.warned.add(id);
    this.log.warn(`Task ${task}: condition term '${expr}': ${message}`);
  }
}

/** `next exit_0: 0 = 0 → true → task 5`; several terms: `next a&b: [a: … → true; b: … → false] true & false → false → …`. */
export function decisionText(label: string, d: Pick<Decision, 'terms' | 'result' | 'route'>): string {
  const root = d.terms[d.terms.length - 1];
  const route = d.route === null ? '' : ` → ${d.route}`;
  if (!root) return `${label} → ${d.result}${route}`;
  const parts = d.terms.slice(0, -1).map((t) => `${t.expr}: ${t.values} → ${t.result}`);
  const body = parts.length === 0 ? root.values : `[${parts.join('; ')}] ${root.values}`;
  return `${label} ${root.expr}: ${body} → ${d.result}${route}`;
}
