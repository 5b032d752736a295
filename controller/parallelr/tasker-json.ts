/**
 * Local runs' side of "records" (docs/parallelr.md "Records"): a command that runs tasker gets
 * `--output-json FILE` appended, FILE being a private file in the task's working directory; after
 * the task its log path, failing task and that task's own exit code go into the record and FILE is
 * removed. A template that names its own `--output-json` keeps it, and its records lack these fields.
 */
import { readFileSync, rmSync } from 'node:fs';
import { join } from 'node:path';
import { taskerArguments } from '../../shared/exec/index.js';
import { readTaskerOutcome, type TaskerOutcome } from './tasker-outcome.js';

export interface TaskerJsonPlan {
  argv: string[];
  path: string;
}

/** The argv with `--output-json FILE` appended, when `argv` runs tasker and names no JSON of its own. */
export function planTaskerJson(argv: readonly string[], cwd: string, pid: number, index: number): TaskerJsonPlan | undefined {
  const args = taskerArguments(argv);
  if (!args || args.some((a) => a === '--output-json' || a.startsWith('--output-json='))) return undefined;
  const path = join(cwd, `.tasker_result_p${pid}_${index}.json`);
  return { argv: [...argv, '--output-json', path], path };
}

/** What the JSON says (log path included), then remove it; {} when tasker wrote none. */
export function collectTaskerJson(plan: TaskerJsonPlan): TaskerOutcome {
  let text: string;
  try {
    text = readFileSync(plan.path, 'utf8');
  } catch {
    return {};
  }
  rmSync(plan.path, { force: true });
  const outcome = readTaskerOutcome(text);
  const logFile = readLogFile(text);
  return logFile ? { ...outcome, logFile } : outcome;
}

function readLogFile(text: string): string | undefined {
  try {
    const v = (JSON.parse(text) as { workflow_metadata?: { log_file?: unknown } }).workflow_metadata?.log_file;
    return typeof v === 'string' && v ? v : undefined;
  } catch {
    return undefined;
  }
}
