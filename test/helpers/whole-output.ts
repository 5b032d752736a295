/**
 * Conditions over outputs larger than the 1 MiB kept in memory (SPEC §2a), as one task file that
 * every path runs (locally, through an agent, over ssh, inside a block) with the same answers.
 */
import type { ExecutionContext } from 'ava';
import type { RunResult } from '../../core/run/index.js';
import { join } from 'node:path';
import { FIXTURE_BIN } from './run-cli.js';

/** The fixture that prints large outputs (test/fixtures/bin/emit-output). */
export const EMIT_OUTPUT = join(FIXTURE_BIN, 'emit-output');

export interface OutputCheck {
  id: number;
  /** emit-output arguments. */
  output: string;
  /** Extra task lines (a condition, a split). */
  lines: string;
  /** The task's success as the condition must decide it. */
  success: boolean;
  why: string;
}

const MIB = 1024 * 1024;
/** Past the in-memory capture and the 100 KiB variable. */
const PAST = Math.round(1.2 * MIB);

export const OUTPUT_CHECKS: readonly OutputCheck[] = [
  { id: 0, output: `fill:${PAST} text:NEEDLE\\n`, lines: 'success=stdout~NEEDLE', success: true, why: 'NEEDLE after 1.2 MiB is found' },
  { id: 1, output: `fill:${PAST} text:NEEDLE\\n`, lines: 'success=stdout!~NEEDLE', success: false, why: 'stdout!~ sees NEEDLE after 1.2 MiB' },
  { id: 2, output: `fill:${MIB - 3} text:NEEDLE fill:${MIB}`, lines: 'success=stdout~NEEDLE', success: true, why: 'NEEDLE across the 1 MiB boundary (capture limit and read chunk)' },
  { id: 3, output: 'lines:150000', lines: 'success=stdout_count=150000', success: true, why: 'stdout_count counts every line of 1.6 MB' },
  { id: 4, output: `err: fill:${PAST} text:NEEDLE`, lines: 'success=stderr~NEEDLE&stderr_count>19000&stdout~', success: true, why: 'stderr~ and stderr_count over 1.2 MiB' },
  { id: 5, output: `err: fill:${PAST} text:NEEDLE`, lines: 'success=stderr!~NEEDLE', success: false, why: 'stderr!~ sees NEEDLE after 1.2 MiB' },
  { id: 6, output: 'lines:150000', lines: 'stdout_split=newline,149999\nsuccess=stdout="line 150000"&stdout_count=1', success: true, why: 'the split takes line 150000 of the whole stream' },
  { id: 7, output: `fill:${PAST} text:NOPE\\n`, lines: 'success=stdout~NEEDLE|stdout_count>20000', success: false, why: 'a needle that is not there, and a count that is not reached' },
];

/** A task file: the checks (each continuing with the next task whatever it decides), then `next=stdout~` routing. */
export function wholeOutputFile(head: string, command = EMIT_OUTPUT): string {
  const task = (id: number, output: string, lines: string) => `task=${id}\n${head}command=${command}\narguments=${output}\n${lines}\n`;
  const checks = OUTPUT_CHECKS.map((c) => task(c.id, c.output, `${c.lines}\non_failure=${c.id + 1}`));
  return [
    ...checks,
    task(8, `fill:${PAST} text:NEEDLE\\n`, 'next=stdout~NEEDLE\non_success=10\non_failure=9'),
    task(9, 'text:wrong-way', 'return=3'),
    task(10, 'text:right-way', 'return=0'),
  ].join('\n');
}

/** The --output-json document (the type the engine writes). */
export type RunJson = RunResult;

/** Every check decided as expected, the routing went the right way, and `@0_stdout@` kept its first 100 KiB. */
export function assertWholeOutput(t: ExecutionContext, json: RunJson, keyOf: (id: number) => string = String): void {
  for (const c of OUTPUT_CHECKS) {
    t.is(json.task_results[keyOf(c.id)]?.success, c.success, `task ${c.id}: ${c.why}`);
  }
  t.is(Buffer.byteLength(json.task_results[keyOf(0)]!.stdout), 100 * 1024, 'the variable keeps the first 100 KiB');
  t.is(json.task_results[keyOf(6)]!.stdout, 'line 150000');
}

/** The routing tasks (8 → 10) ran top-level. */
export function assertRouting(t: ExecutionContext, json: RunJson): void {
  t.deepEqual(json.execution_summary.execution_path.slice(-2), [8, 10], 'next=stdout~NEEDLE routed to on_success');
}

/**
 * The checks as sub-tasks 100+id of block 0: a parallel block (at most `parallel` at once), or
 * with `parallel` 0 the true branch of a conditional block (one after the other).
 */
export function wholeOutputBlockFile(head: string, parallel = 2): string {
  const ids = OUTPUT_CHECKS.map((c) => 100 + c.id).join(',');
  const subs = OUTPUT_CHECKS.map((c) => `task=${100 + c.id}\n${head}command=${EMIT_OUTPUT}\narguments=${c.output}\n${c.lines}\n`);
  const block = parallel > 0
    ? `task=0\ntype=parallel\nmax_parallel=${parallel}\ntasks=${ids}\nnext=always\n`
    : `task=0\ntype=conditional\ncondition=true\nif_true_tasks=${ids}\nif_false_tasks=99\nnext=always\n\ntask=99\n${head}command=true\n`;
  return [block, ...subs].join('\n');
}
