/** The whole streams of a task result, as its conditions read them (SPEC §2a: conditions see the whole output). */
import { spilledOutput } from '../../shared/exec/index.js';
import type { OutputView } from '../../shared/taskfile/output-view.js';
import type { TaskResult } from './types.js';

export interface ResultViews {
  stdoutView?: OutputView;
  stderrView?: OutputView;
}

/**
 * Views of each result's spill files, made once per result so that several conditions on one
 * result (success, next, loop_break) share what was already read. A stream kept in memory needs
 * no view: the result's text is all of it.
 */
export function createResultViews(warn: (message: string) => void): (r: TaskResult | undefined) => ResultViews {
  const made = new WeakMap<TaskResult, ResultViews>();
  return (r) => {
    if (!r || (!r.stdoutFile && !r.stderrFile)) return {};
    let views = made.get(r);
    if (!views) {
      views = {};
      const onError = (message: string) => warn(`Task ${r.key}: ${message}`);
      if (r.stdoutFile) views.stdoutView = spilledOutput(r.stdoutFile, r.stdout, { onError });
      if (r.stderrFile) views.stderrView = spilledOutput(r.stderrFile, r.stderr, { onError });
      made.set(r, views);
    }
    return views;
  };
}
