/**
 * The engine's side of start ahead, with a scripted executor that offers the seam (no
 * processes): which tasks it is asked to start ahead, that each is taken on its turn, and that
 * tasks started ahead are discarded when the run goes elsewhere or ends.
 */
import test from 'ava';
import type { ExecRequest, ProcessResult } from '../../../shared/exec/index.js';
import { parseTaskFile } from '../../../shared/taskfile/parser.js';
import { buildWorkflow } from '../../../shared/taskfile/validate.js';
import type { StartAheadExecutor, StartAheadRequest, StartAheadResult, StartedAhead } from '../../../core/executors/start-ahead.js';
import { RunLog } from '../../../core/engine/run-log.js';
import { runWorkflow } from '../../../core/engine/run-workflow.js';
import type { RunOutcome } from '../../../core/engine/types.js';

class Handle implements StartedAhead {
  discarded = false;
  constructor(
    readonly taskId: string,
    readonly started: Promise<boolean>,
  ) {}
  async discard(): Promise<boolean> {
    this.discarded = true;
    return this.started;
  }
}

/** Answers each command with the exit code in its arguments; a task started ahead "starts" when the one before exits 0. */
class SeamExecutor implements StartAheadExecutor {
  readonly name = 'seam';
  readonly calls: { taskId: string; next: string[]; taken?: string; after?: string }[] = [];
  readonly handles: Handle[] = [];
  readonly startAhead: { depth: number; execute: (req: ExecRequest, ahead: StartAheadRequest) => Promise<StartAheadResult> };

  constructor(depth: number) {
    this.startAhead = { depth, execute: (req: ExecRequest, ahead: StartAheadRequest) => this.run(req, ahead) };
  }

  async execute(req: ExecRequest): Promise<ProcessResult> {
    return (await this.run(req, { next: [] })).result;
  }

  private async run(req: ExecRequest, ahead: StartAheadRequest): Promise<StartAheadResult> {
    const own = (h: StartedAhead | undefined) => (h instanceof Handle && this.handles.includes(h) ? h.taskId : undefined);
    this.calls.push({ taskId: req.taskId, next: ahead.next.map((t) => t.taskId), taken: own(ahead.taken), after: own(ahead.after) });
    const exitCode = Number(req.arguments);
    const started = ahead.next.map((t) => new Handle(t.taskId, Promise.resolve(exitCode === 0)));
    this.handles.push(...started);
    const result: ProcessResult = { argv: [req.command], exitCode, signal: null, stdout: '', stderr: '', stdoutBytes: 0, stderrBytes: 0, timedOut: false, canceled: false, durationMs: 0, truncated: false };
    return { result, started };
  }

  async close(): Promise<void> {}
}

async function run(text: string, depth: number): Promise<{ outcome: RunOutcome; executor: SeamExecutor; log: string }> {
  const { workflow, diagnostics } = buildWorkflow(parseTaskFile(text, 'wf.txt').ast, { env: {}, execTypes: new Set(['local']) });
  const errors = diagnostics.filter((d) => d.severity === 'error').map((d) => d.message);
  if (errors.length) throw new Error(errors.join('\n'));
  const executor = new SeamExecutor(depth);
  const lines: string[] = [];
  const log = new RunLog({ console: { write: (s: string) => lines.push(s) }, level: 'INFO' });
  const outcome = await runWorkflow({
    workflow, log, runId: 'r',
    defaultExecType: 'local', defaultTimeoutSec: 30, executorFor: () => executor,
    canonicalExecType: (n) => (n === 'local' ? n : undefined), describeCommand: (_e, _h, c, a) => `${c} ${a}`,
  });
  log.flush();
  return { outcome, executor, log: lines.join('') };
}

const task = (id: number, extra = '', code = 0): string => `task=${id}\nhostname=h\ncommand=run\narguments=${code}\n${extra}\n`;

test('a plain sequence: each task is started ahead by the one before and taken on its turn', async (t) => {
  const { outcome, executor } = await run(task(0) + task(1) + task(2), 1);
  t.deepEqual(outcome.executionPath, [0, 1, 2]);
  t.deepEqual(executor.calls, [
    { taskId: '0', next: ['1'], taken: undefined, after: undefined },
    { taskId: '1', next: ['2'], taken: '1', after: undefined },
    { taskId: '2', next: [], taken: '2', after: undefined },
  ]);
  t.false(executor.handles.some((h) => h.discarded));
});

test('depth 2 keeps two tasks ahead, each new one after the last started', async (t) => {
  const { executor } = await run(task(0) + task(1) + task(2) + task(3), 2);
  t.deepEqual(executor.calls.map((c) => [c.taskId, c.next, c.taken, c.after]), [
    ['0', ['1', '2'], undefined, undefined],
    ['1', ['3'], '1', '2'],
    ['2', [], '2', '3'],
    ['3', [], '3', undefined],
  ]);
});

test('on_success is started ahead too', async (t) => {
  const { outcome, executor } = await run(task(0, 'on_success=2') + task(1) + task(2), 1);
  t.deepEqual(outcome.executionPath, [0, 2]);
  t.deepEqual(executor.calls[0]!.next, ['2']);
  t.is(executor.calls[1]!.taken, '2');
});

test('nothing starts ahead of a task whose fields use variables, or after one that routes on more than its exit status', async (t) => {
  const vars = await run(task(0) + task(1).replace('command=run', 'command=@0_exit@run') + task(2), 1);
  t.deepEqual(vars.executor.calls[0]!.next, [], 'task 1 uses a variable');
  const routed = await run(task(0, 'next=always') + task(1) + task(2, 'sleep=0') + task(3), 1);
  t.deepEqual(routed.executor.calls.map((c) => c.next), [[], ['2'], [], []], 'next=always on 0; sleep on 2');
});

test('a failure routed elsewhere discards the task started ahead, which never runs', async (t) => {
  const { outcome, executor } = await run(task(0, 'on_failure=3', 1) + task(1) + task(2) + task(3), 1);
  t.deepEqual(outcome.executionPath, [0, 3]);
  t.deepEqual(executor.calls.map((c) => c.taskId), ['0', '3']);
  t.true(executor.handles.find((h) => h.taskId === '1')!.discarded);
});

test('the end of the run discards what is still started ahead, and says so when it had started', async (t) => {
  const { outcome, executor, log } = await run(task(0) + task(1, '', 1) + task(2), 2);
  t.is(outcome.exitCode, 10, 'task 1 fails without a route');
  t.deepEqual(executor.calls.map((c) => c.taskId), ['0', '1']);
  t.true(executor.handles.find((h) => h.taskId === '2')!.discarded);
  t.regex(log, /Task 2: was started ahead as the next task, but the run ended; its process group was killed/);
});

test('return=N and next=never start nothing ahead after them', async (t) => {
  const ret = await run(task(0, 'return=0') + task(1), 1);
  t.deepEqual(ret.executor.calls.map((c) => [c.taskId, c.next]), [['0', []]]);
  const stop = await run(task(0) + task(1, 'next=never') + task(2), 2);
  t.deepEqual(stop.executor.calls.map((c) => [c.taskId, c.next]), [['0', ['1']], ['1', []]]);
});
