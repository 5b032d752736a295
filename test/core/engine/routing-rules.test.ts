/**
 * Every routing rule of docs/task-files.md ("Running", "Blocks", "Retries") through the engine
 * itself, with a scripted executor instead of processes: the engine decides the path, the fake
 * only answers each command with the exit codes its arguments name.
 *
 * A task's arguments are `CODES[+STDOUT]`: CODES is a comma-separated list of exit codes, the
 * k-th run of that task gets the k-th (the last one repeats); `timeout` as a code times out.
 * STDOUT `count` prints the run number.
 */
import test from 'ava';
import type { ExecRequest, ProcessResult, TaskExecutor } from '../../../shared/exec/index.js';
import { parseTaskFile } from '../../../shared/taskfile/parser.js';
import { buildWorkflow } from '../../../shared/taskfile/validate.js';
import { runBlock } from '../../../core/engine/blocks.js';
import { RunLog } from '../../../core/engine/run-log.js';
import { runWorkflow } from '../../../core/engine/run-workflow.js';
import { ExitCode } from '../../../shared/exit-codes.js';

class ScriptedExecutor implements TaskExecutor {
  readonly name = 'scripted';
  /** Task labels in the order they were asked to run. */
  readonly ran: string[] = [];
  private readonly runs = new Map<string, number>();

  async execute(req: ExecRequest): Promise<ProcessResult> {
    this.ran.push(req.taskId);
    const base = req.taskId.replace(/ attempt \d+\/\d+$/, '').replace(/\.\d+$/, '');
    const n = (this.runs.get(base) ?? 0) + 1;
    this.runs.set(base, n);
    const [codes = '0', ...rest] = req.arguments.split('+');
    const list = codes.split(',');
    const code = list[Math.min(n, list.length) - 1]!;
    const text = rest.join(' ');
    const stdout = text === 'count' ? `${n}\n` : text ? `${text}\n` : '';
    const timedOut = code === 'timeout';
    return {
      argv: [req.command], exitCode: timedOut ? 124 : Number(code), signal: null, stdout, stderr: '',
      stdoutBytes: stdout.length, stderrBytes: 0, timedOut, canceled: false, durationMs: 0, truncated: false,
    };
  }

  async close(): Promise<void> {}
}

interface Expect {
  exit: number;
  path: number[];
  /** Commands in the order they ran (labels as in the log), when the case is about them. */
  ran?: string[];
  loops?: string[];
  skipped?: number[];
}

interface Case {
  name: string;
  file: string;
  expect: Expect;
  fireAndForget?: boolean;
}

/** A task block: `task=ID`, a command on host h unless `fields` say otherwise. */
function task(id: number, fields: string): string {
  const lines = fields.split(/\s+/).filter(Boolean);
  const noCommand = lines.some((l) => /^type=(parallel|conditional|decision)/.test(l)) || !lines.some((l) => l.startsWith('arguments='));
  const cmd = noCommand ? [] : ['hostname=h', 'command=run'];
  return [`task=${id}`, ...cmd, ...lines].join('\n') + '\n\n';
}
const cmd = (codes: string, out = ''): string => `arguments=${codes}${out ? `+${out}` : ''}`;

const cases: Case[] = [
  // No next: success → on_success, else N+1; failure → on_failure/goto, else stop (exit 10).
  { name: 'success falls through to N+1', file: task(0, cmd('0')) + task(1, cmd('0')), expect: { exit: 0, path: [0, 1] } },
  { name: 'success jumps to on_success', file: task(0, `${cmd('0')} on_success=2`) + task(1, cmd('0')) + task(2, cmd('0')), expect: { exit: 0, path: [0, 2], skipped: [1] } },
  { name: 'unrouted failure stops with exit 10', file: task(0, cmd('3')) + task(1, cmd('0')), expect: { exit: ExitCode.TASK_FAILED, path: [0] } },
  { name: 'failure jumps to on_failure', file: task(0, `${cmd('1')} on_failure=2`) + task(1, cmd('0')) + task(2, cmd('0')), expect: { exit: 0, path: [0, 2] } },
  { name: 'failure jumps to goto', file: task(0, `${cmd('1')} goto=2`) + task(1, cmd('0')) + task(2, cmd('0')), expect: { exit: 0, path: [0, 2] } },
  { name: '--fire-and-forget continues after an unrouted failure', fireAndForget: true, file: task(0, cmd('1')) + task(1, cmd('0')), expect: { exit: 0, path: [0, 1] } },
  { name: 'a backward on_failure retries from the start', file: task(0, cmd('0')) + task(1, `${cmd('1,0')} on_failure=0`) + task(2, cmd('0')), expect: { exit: 0, path: [0, 1, 0, 1, 2] } },
  // success= / failure= decide success.
  { name: 'success= on stdout overrides exit 0', file: task(0, `${cmd('0', 'nope')} success=stdout~DONE`) + task(1, cmd('0')), expect: { exit: ExitCode.TASK_FAILED, path: [0] } },
  { name: 'success= on stdout accepts exit 1', file: task(0, `${cmd('1', 'DONE')} success=stdout~DONE`) + task(1, cmd('0')), expect: { exit: 0, path: [0, 1] } },
  { name: 'failure= true is a failure routed to on_failure', file: task(0, `${cmd('0', 'ERR')} failure=stdout~ERR on_failure=2`) + task(1, cmd('0')) + task(2, cmd('0')), expect: { exit: 0, path: [0, 2] } },
  // next=COND.
  { name: 'next=COND true → N+1', file: task(0, `${cmd('0', 'go')} next=stdout~go`) + task(1, cmd('0')), expect: { exit: 0, path: [0, 1] } },
  { name: 'next=COND true → on_success', file: task(0, `${cmd('0', 'go')} next=stdout~go on_success=2`) + task(1, cmd('0')) + task(2, cmd('0')), expect: { exit: 0, path: [0, 2] } },
  { name: 'next=COND false → on_failure', file: task(0, `${cmd('0', 'stop')} next=stdout~go on_failure=2`) + task(1, cmd('0')) + task(2, cmd('0')), expect: { exit: 0, path: [0, 2] } },
  { name: 'next=COND false unrouted stops with exit 10, even with --fire-and-forget', fireAndForget: true, file: task(0, `${cmd('0', 'stop')} next=stdout~go`) + task(1, cmd('0')), expect: { exit: ExitCode.TASK_FAILED, path: [0] } },
  // next=always / next=never / return.
  { name: 'next=always continues after a failure', file: task(0, `${cmd('1')} next=always`) + task(1, cmd('0')), expect: { exit: 0, path: [0, 1] } },
  { name: 'next=always goes to on_success', file: task(0, `${cmd('1')} next=always on_success=2`) + task(1, cmd('0')) + task(2, cmd('0')), expect: { exit: 0, path: [0, 2] } },
  { name: 'next=never stops with 0', file: task(0, `${cmd('1')} next=never`) + task(1, cmd('0')), expect: { exit: 0, path: [0] } },
  { name: 'next=never stops with its return value', file: task(0, `${cmd('0')} next=never return=4`) + task(1, cmd('0')), expect: { exit: 4, path: [0] } },
  { name: 'return=N after the command ends the run with N', file: task(0, `${cmd('1')} return=3`) + task(1, cmd('0')), expect: { exit: 3, path: [0], ran: ['0'] } },
  { name: 'return without a command ends the run without running anything', file: task(0, cmd('0')) + task(1, 'return=0') + task(2, cmd('0')), expect: { exit: 0, path: [0, 1], ran: ['0'] } },
  { name: 'return values wrap modulo 256', file: task(0, 'return=257'), expect: { exit: 1, path: [0] } },
  // condition= pre-guard.
  { name: 'a false condition= skips the task to N+1', file: task(0, cmd('0', 'a')) + task(1, `${cmd('0')} condition=@0_stdout@~b`) + task(2, cmd('0')), expect: { exit: 0, path: [0, 2], skipped: [1], ran: ['0', '2'] } },
  { name: 'a true condition= runs the task', file: task(0, cmd('0', 'b')) + task(1, `${cmd('0')} condition=@0_stdout@~b`), expect: { exit: 0, path: [0, 1] } },
  // Loops.
  { name: 'loop=N runs N+1 times', file: task(0, `${cmd('0')} next=loop loop=2`) + task(1, cmd('0')), expect: { exit: 0, path: [0, 1], loops: ['0.1', '0.2', '0.3'] } },
  { name: 'next=loop&COND stops when COND is false', file: task(0, `${cmd('0', 'count')} next=loop&stdout~1 loop=5`), expect: { exit: 0, path: [0], loops: ['0.1', '0.2'] } },
  { name: 'loop_break leaves the loop when true', file: task(0, `${cmd('0', 'count')} next=loop loop=5 loop_break=stdout~3`), expect: { exit: 0, path: [0], loops: ['0.1', '0.2', '0.3'] } },
  { name: 'a loop continues to on_success even after failed runs', file: task(0, `${cmd('1')} next=loop loop=1 on_success=2`) + task(1, cmd('0')) + task(2, cmd('0')), expect: { exit: 0, path: [0, 2], loops: ['0.1', '0.2'] } },
  // Retries.
  { name: 'retry_count runs a failing task again until it succeeds', file: task(0, `${cmd('1,1,0')} retry_count=3 retry_delay=0`) + task(1, cmd('0')), expect: { exit: 0, path: [0, 1], ran: ['0 attempt 1/4', '0 attempt 2/4', '0 attempt 3/4', '1'] } },
  { name: 'retries used up leave the failure routing to decide', file: task(0, `${cmd('1')} retry_count=1 retry_delay=0`) + task(1, cmd('0')), expect: { exit: ExitCode.TASK_FAILED, path: [0], ran: ['0 attempt 1/2', '0 attempt 2/2'] } },
  { name: 'retry_on=failure does not retry a timeout', file: task(0, `${cmd('timeout')} retry_count=2 retry_delay=0`), expect: { exit: ExitCode.TASK_FAILED, path: [0], ran: ['0 attempt 1/3'] } },
  { name: 'retry_on=timeout retries a timeout', file: task(0, `${cmd('timeout,0')} retry_count=2 retry_delay=0 retry_on=timeout`), expect: { exit: 0, path: [0], ran: ['0 attempt 1/3', '0 attempt 2/3'] } },
  { name: 'each loop iteration is retried on its own', file: task(0, `${cmd('1,0')} next=loop loop=1 retry_count=1 retry_delay=0`), expect: { exit: 0, path: [0], loops: ['0.1', '0.2'], ran: ['0.1 attempt 1/2', '0.1 attempt 2/2', '0.2 attempt 1/2'] } },
  // Blocks.
  { name: 'parallel block with all_success routes on success', file: task(0, 'type=parallel tasks=10,11 on_success=2') + task(1, cmd('0')) + task(2, cmd('0')) + task(10, cmd('0')) + task(11, cmd('0')), expect: { exit: 0, path: [0, 2] } },
  { name: 'parallel block failing all_success stops with exit 10', file: task(0, 'type=parallel tasks=10,11') + task(1, cmd('0')) + task(10, cmd('0')) + task(11, cmd('1')), expect: { exit: ExitCode.TASK_FAILED, path: [0] } },
  { name: 'parallel block with min_success=1 passes with one failure', file: task(0, 'type=parallel tasks=10,11 success=min_success=1') + task(1, cmd('0')) + task(10, cmd('0')) + task(11, cmd('1')), expect: { exit: 0, path: [0, 1] } },
  { name: 'parallel block failure routes to on_failure', file: task(0, 'type=parallel tasks=10,11 on_failure=2') + task(1, cmd('0')) + task(2, cmd('0')) + task(10, cmd('1')) + task(11, cmd('1')), expect: { exit: 0, path: [0, 2] } },
  { name: 'block retry keys retry each sub-task', file: task(0, 'type=parallel tasks=10 retry_count=1 retry_delay=0') + task(10, cmd('1,0')), expect: { exit: 0, path: [0], ran: ['0-10.1', '0-10.2'] } },
  { name: 'conditional block runs the true branch in order', file: task(0, cmd('0', 'yes')) + task(1, 'type=conditional condition=@0_stdout@~yes if_true_tasks=10,11 if_false_tasks=12') + task(2, cmd('0')) + task(10, cmd('0')) + task(11, cmd('0')) + task(12, cmd('0')), expect: { exit: 0, path: [0, 1, 2], ran: ['0', '1-10', '1-11', '2'] } },
  { name: 'conditional block runs the false branch', file: task(0, cmd('0', 'no')) + task(1, 'type=conditional condition=@0_stdout@~yes if_true_tasks=10 if_false_tasks=12') + task(10, cmd('0')) + task(12, cmd('0')), expect: { exit: 0, path: [0, 1], ran: ['0', '1-12'] } },
  { name: 'a true decision jumps to on_success', file: task(0, cmd('0', 'yes')) + task(1, 'type=decision success=@0_stdout@~yes on_success=3 on_failure=2') + task(2, cmd('0')) + task(3, cmd('0')), expect: { exit: 0, path: [0, 1, 3] } },
  { name: 'a false decision jumps to on_failure', file: task(0, cmd('0', 'no')) + task(1, 'type=decision success=@0_stdout@~yes on_success=3 on_failure=2') + task(2, `${cmd('0')} next=never`) + task(3, cmd('0')), expect: { exit: 0, path: [0, 1, 2] } },
  { name: 'a false decision without on_failure continues with N+1', file: task(0, cmd('0', 'no')) + task(1, 'type=decision success=@0_stdout@~yes on_success=3') + task(2, `${cmd('0')} next=never`) + task(3, cmd('0')), expect: { exit: 0, path: [0, 1, 2] } },
  { name: 'a decision with next=never stops when its side has no jump', file: task(0, cmd('0', 'yes')) + task(1, 'type=decision success=@0_stdout@~yes next=never on_failure=2') + task(2, cmd('0')), expect: { exit: 0, path: [0, 1] } },
];

for (const c of cases) {
  test(`routing: ${c.name}`, async (t) => {
    const { workflow, diagnostics } = buildWorkflow(parseTaskFile(c.file, 'wf.txt').ast, { env: {}, execTypes: new Set(['local']) });
    const errors = diagnostics.filter((d) => d.severity === 'error');
    t.deepEqual(errors.map((d) => d.message), [], c.file);
    const executor = new ScriptedExecutor();
    const lines: string[] = [];
    const runLog = new RunLog({ console: { write: (s: string) => lines.push(s) }, level: 'INFO' });
    const outcome = await runWorkflow({
      workflow, log: runLog, runId: 'r',
      defaultExecType: 'local', defaultTimeoutSec: 30, fireAndForget: c.fireAndForget,
      executorFor: () => executor, canonicalExecType: (n) => (n === 'local' ? n : undefined),
      describeCommand: (_e, _h, command, args) => `${command} ${args}`, runBlock,
    });
    runLog.flush();
    const log = lines.join('');
    t.is(outcome.exitCode, c.expect.exit, log);
    t.deepEqual(outcome.executionPath, c.expect.path, log);
    if (c.expect.ran) t.deepEqual(executor.ran, c.expect.ran, log);
    if (c.expect.loops) t.deepEqual(outcome.loopIterations, c.expect.loops, log);
    if (c.expect.skipped) t.deepEqual(outcome.skippedTasks, c.expect.skipped, log);
  });
}
