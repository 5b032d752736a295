/**
 * The explicit state of one run, shared by the engine's modules (routing, loops, task
 * preparation, commands, blocks): the options, the variables, the outcome being built, the
 * condition evaluator and the tasks started ahead.
 */
import { evaluateCondition } from '../../shared/taskfile/condition.js';
import type { ConditionNode, EvalContext } from '../../shared/taskfile/condition.js';
import { ExitCode, TaskExit } from '../../shared/exit-codes.js';
import { explainCondition } from '../../shared/taskfile/explain.js';
import { DecisionLog, type DecisionSite } from './decision-log.js';
import type { Task, Workflow } from '../../shared/taskfile/model.js';
import { maskSecrets, substitute } from '../../shared/taskfile/variables.js';
import type { EngineOptions } from './engine-types.js';
import { createResultViews } from './result-views.js';
import type { RunLog } from './run-log.js';
import { StartAheadQueue } from './start-ahead-queue.js';
import type { RunOutcome, TaskResult } from './types.js';
import { VariableStore } from './variables.js';

export interface EngineRun {
  readonly opts: EngineOptions;
  readonly wf: Workflow;
  readonly log: RunLog;
  readonly store: VariableStore;
  readonly outcome: RunOutcome;
  /**
   * A condition against a task result (none: the pre-guard form, no result yet); `task`: whose
   * placeholders apply; `site`: the decision it makes, recorded with its terms (decision-log.ts).
   */
  evaluate(node: ConditionNode, result?: TaskResult, task?: Task, site?: DecisionSite): boolean;
  /** The run's explained decisions. */
  readonly decisions: DecisionLog;
  /** Substitution for a task: a fan-out sub-task's own placeholders (@HOST@ …) before the run's variables. */
  resolverOf(task?: Task): (text: string) => string;
  /** Tasks an executor started ahead of the one running (see start-ahead-queue.ts). */
  readonly ahead: StartAheadQueue;
}

export function createEngineRun(opts: EngineOptions): EngineRun {
  const { workflow: wf, log } = opts;
  const store = opts.resume?.store ?? new VariableStore(wf.globals);
  const outcome: RunOutcome = {
    exitCode: ExitCode.SUCCESS, status: 'success', reason: 'completed',
    results: opts.resume?.outcome.results ?? new Map(),
    executionPath: opts.resume?.outcome.executionPath ?? [],
    loopIterations: opts.resume?.outcome.loopIterations ?? [],
    skippedTasks: opts.resume?.outcome.skippedTasks ?? [],
    finalHostname: '', finalCommand: '',
  };
  // A stream that spilled to a file is read from there: conditions see the whole output.
  const viewsOf = createResultViews((message) => log.warn(message));
  const resolverOf = (task?: Task): ((text: string) => string) => {
    const own = task?.placeholders;
    return own ? (text) => substitute(text, (n) => own.get(n) ?? store.lookup(n)) : store.resolve;
  };
  const decisions = new DecisionLog(log, opts.explain ?? { show: 'debug', keep: false });
  if (opts.explain?.keep) outcome.decisions = decisions.byKey;
  const mask = (text: string): string => maskSecrets(text, log.secrets);
  const evaluate = (node: ConditionNode, r?: TaskResult, task?: Task, site?: DecisionSite): boolean => {
    const ctx: EvalContext = { exitCode: r?.exitCode ?? TaskExit.SUCCESS, stdout: r?.stdout ?? '', stderr: r?.stderr ?? '', ...viewsOf(r), success: r?.success, resolve: resolverOf(task) };
    if (!site) return evaluateCondition(node, ctx);
    const explained = explainCondition(node, ctx, mask);
    decisions.record(site.key, site.kind, explained, site.route?.(explained.result), site.label);
    return explained.result;
  };
  return { opts, wf, log, store, outcome, evaluate, resolverOf, decisions, ahead: new StartAheadQueue(log) };
}
