/**
 * What a failed `tasker` run says about itself on its console, for parallelr's records and lines:
 * the failing task's own exit code (tasker exits 10 and names it), the first diagnostics of a
 * refused task file (exit 20/21/31), or the `tasker: error:` line of any other failure (exit 1, 2,
 * 25, 30 …). Read from the run's output, so it works the same for a file run in-process or as a
 * process, by parallelr or by an agent (which sends what it read with the job's result,
 * `failure_detail` in shared/nats/schema.ts).
 */
import { ExitCode } from './exit-codes.js';

/** How much of a tasker run's output is kept to find these: its stdout's end, its stderr's start. */
export const DETAIL_BYTES = 4096;
/** Diagnostic lines shown as a failure's reason. */
const REASON_LINES = 3;
const REASON_CHARS = 600;

export interface FailureDetail {
  /** The exit code of the task the run stopped at (tasker's exit 10), when tasker named it. */
  taskExitCode?: number;
  /** That task's id, as tasker named it. */
  failedTask?: string;
  /** The first diagnostic lines (exit 20/21/31), or tasker's error line: what to fix. */
  reason?: string;
}

// `Workflow failed: exit code 10 (task 3 failed (exit code 7))`, and the ERROR line before it.
const WORKFLOW_FAILED = /Workflow failed: exit code \d+ \(task (\S+) failed \(exit code (-?\d+)/g;
const STOPPING = /Task (\S+): .*no route for the failure, stopping \(exit code (-?\d+)/g;
// `file:12:5: error[CODE] …` or `file:12:5: error: …`
const DIAGNOSTIC = /^.+:\d+:\d+: error(\[[A-Z_]+\])?[: ]/;

/** The failing task's exit code and the reason a tasker run gave, from its stdout end and stderr start. */
export function readFailureDetail(exitCode: number | null, stdoutEnd: string, stderrStart: string): FailureDetail {
  if (exitCode === ExitCode.TASK_FAILED) {
    const found = lastMatch(WORKFLOW_FAILED, stdoutEnd) ?? lastMatch(STOPPING, stdoutEnd);
    return found ?? {};
  }
  if (exitCode === null || exitCode === ExitCode.SUCCESS) return {};
  // A refused file (20, 21, 31) names its diagnostics; any other failure of tasker itself (logs that
  // cannot be written, a usage error, a missing file, a run already going on) its `tasker: error:` line.
  const reason = firstDiagnostics(stderrStart) ?? firstTaskerError(stderrStart) ?? firstErrorLine(stdoutEnd);
  return reason === undefined ? {} : { reason };
}

/**
 * The record's error message with the detail: `Exit code 10: task 3 exited 7` (the form the run's
 * JSON gives too, tasker-outcome.ts), `Exit code 20: f.txt:1:1: error[…] …` (one line per diagnostic).
 */
export function describeFailure(exitCode: number, d: FailureDetail): string {
  if (d.taskExitCode !== undefined) return `Exit code ${exitCode}: task ${d.failedTask ?? '?'} exited ${d.taskExitCode}`;
  if (d.reason !== undefined) return `Exit code ${exitCode}: ${d.reason}`;
  return `Exit code ${exitCode}`;
}

function lastMatch(re: RegExp, text: string): { failedTask: string; taskExitCode: number } | undefined {
  let found: { failedTask: string; taskExitCode: number } | undefined;
  for (const m of text.matchAll(re)) found = { failedTask: m[1]!, taskExitCode: Number(m[2]) };
  return found;
}

/** Up to three `file:line:col: error…` lines, bounded. */
function firstDiagnostics(stderr: string): string | undefined {
  const lines = stderr.split('\n').filter((l) => DIAGNOSTIC.test(l)).slice(0, REASON_LINES);
  if (!lines.length) return undefined;
  return lines.map((l) => (l.length > REASON_CHARS / REASON_LINES ? `${l.slice(0, REASON_CHARS / REASON_LINES)}…` : l)).join('\n');
}

/** tasker's first `tasker: error: …` line on stderr, without that prefix. */
function firstTaskerError(stderr: string): string | undefined {
  const line = stderr.split('\n').find((l) => l.startsWith(TASKER_ERROR));
  return line === undefined ? undefined : line.slice(TASKER_ERROR.length, TASKER_ERROR.length + REASON_CHARS);
}

const TASKER_ERROR = 'tasker: error: ';

/** tasker's first `ERROR: …` line (agent or host checks), without the timestamp. */
function firstErrorLine(stdout: string): string | undefined {
  const line = stdout.split('\n').find((l) => l.includes(' ERROR: '));
  if (line === undefined) return undefined;
  const at = line.indexOf(' ERROR: ') + 8;
  return line.slice(at, at + REASON_CHARS);
}

/** Keeps the first `limit` characters of a stream (the tail of a stream is TailBuffer). */
export class HeadBuffer {
  private text = '';
  constructor(private readonly limit: number) {}
  push(chunk: Buffer | string): void {
    if (this.text.length >= this.limit) return;
    this.text += (typeof chunk === 'string' ? chunk : chunk.toString('utf8')).slice(0, this.limit - this.text.length);
  }
  result(): string {
    return this.text;
  }
}
