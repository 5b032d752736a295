/**
 * Endless cycles: a cycle that only a failure can leave is a validation error naming it; cycles
 * with a deliberate way out on their success path, and retry loops, are not (SPEC §2a).
 */
import test from 'ava';
import { check, file } from '../../helpers/tasker.js';

const task = (id: number, ...extra: string[]): string[] => [`task=${id}`, 'hostname=localhost', 'exec=local', 'command=true', ...extra];
const sub = (id: number): string[] => task(id);
const cycles = (text: string): string[] => check(text).diagnostics.filter((d) => d.code === 'ENDLESS_CYCLE').map((d) => `${d.line}:${d.col} ${d.severity} ${d.message}`);
const named = (path: string): string => `endless cycle ${path}: while every task succeeds it never ends; only a failure can leave it`;

const endless = test.macro({
  exec(t, text: string, expected: string) {
    const found = cycles(text);
    t.is(found.length, 1, found.join('\n'));
    t.is(found[0], expected);
  },
  title: (provided) => `endless: ${provided}`,
});

const fine = test.macro({
  exec(t, text: string) {
    t.deepEqual(cycles(text), []);
    t.false(check(text).diagnostics.some((d) => d.severity === 'error'), JSON.stringify(check(text).diagnostics));
  },
  title: (provided) => `no cycle error: ${provided}`,
});

test('on_success 1 → 2 → 3 → 1', endless, file(...task(0), ...task(1, 'on_success=2'), ...task(2, 'on_success=3'), ...task(3, 'on_success=1')), `19:1 error ${named('1 → 2 → 3 → 1')}`);
test('fall-through with an on_success back-jump', endless, file(...task(0), ...task(1), ...task(2, 'on_success=0')), `13:1 error ${named('0 → 1 → 2 → 0')}`);
test('next=always back to the start (not even a failure leaves it)', endless, file(...task(0), ...task(1, 'next=always', 'on_success=0')), `10:1 error ${named('0 → 1 → 0')}`);
test('a bounded loop inside an unbounded cycle', endless, file(...task(0, 'next=loop', 'loop=3', 'loop_break=stdout~done'), ...task(1, 'on_success=0')), `12:1 error ${named('0 → 1 → 0')}`);
test('a parallel block with the default rule in the cycle', endless, file('task=0', 'type=parallel', 'tasks=100,101', ...task(1, 'on_success=0'), ...sub(100), ...sub(101)), `8:1 error ${named('0 → 1 → 0')}`);
test('a conditional block (its condition only picks sub-tasks)', endless, file('task=0', 'type=conditional', 'condition=@1_exit@=0', 'if_true_tasks=100', 'if_false_tasks=101', ...task(1, 'on_success=0'), ...sub(100), ...sub(101)), `10:1 error ${named('0 → 1 → 0')}`);
test('a condition guard whose skip stays in the cycle', endless, file(...task(0), ...task(1, 'condition=@0_exit@=0'), ...task(2, 'on_success=0')), `14:1 error ${named('0 → 1 → 2 → 0')}`);
test('a next condition whose false side jumps back into the cycle', endless, file(...task(0, 'next=exit_0', 'on_success=1', 'on_failure=1'), ...task(1, 'on_success=0')), `12:1 error ${named('0 → 1 → 0')}`);
test('the shortest cycle of a larger tangle is named', endless, file(...task(0), ...task(1, 'on_success=3'), ...task(2, 'on_success=0'), ...task(3, 'on_success=2')), `14:1 error ${named('0 → 1 → 3 → 2 → 0')}`);

test('a retry loop: on_failure back to an earlier task', fine, file(...task(0), ...task(1, 'on_failure=0'), ...task(2)));
test('goto back to an earlier task', fine, file(...task(0), ...task(1, 'next=exit_0', 'goto=0'), ...task(2)));
test('next=CONDITION leads out of the cycle', fine, file(...task(0), ...task(1, 'next=stdout!~done', 'on_success=0')));
test('next=CONDITION with on_failure out of the cycle', fine, file(...task(0), ...task(1, 'next=stdout!~done', 'on_success=0', 'on_failure=2'), ...task(2)));
test('a success condition whose false side leaves', fine, file(...task(0), ...task(1, 'success=stdout~more', 'on_success=0', 'on_failure=2'), ...task(2)));
test('a failure condition', fine, file(...task(0), ...task(1, 'failure=stdout~stop', 'on_success=0', 'on_failure=2'), ...task(2)));
test('a decision in the cycle with a side out', fine, file(...task(0), 'task=1', 'type=decision', 'success=@0_exit@=0', 'on_success=0', 'on_failure=2', ...task(2)));
test('a decision whose false side carries on to the next task', fine, file(...task(0), 'task=1', 'type=decision', 'success=@0_stdout@~again', 'on_success=0', ...task(2)));
test('a condition guard whose skip leads out', fine, file(...task(0), ...task(1, 'condition=@0_stdout@~again', 'on_success=0'), ...task(2)));
test('a parallel block with a min_success rule', fine, file(...task(0), 'task=1', 'type=parallel', 'tasks=100,101', 'success=min_success=2', 'on_success=0', 'on_failure=2', ...task(2), ...sub(100), ...sub(101)));
test('a block next condition', fine, file(...task(0), 'task=1', 'type=parallel', 'tasks=100,101', 'next=@100_stdout@~more', 'on_success=0', 'on_failure=2', ...task(2), ...sub(100), ...sub(101)));
test('a loop on its own (bounded by loop=N)', fine, file(...task(0, 'next=loop&stdout!~done', 'loop=5', 'sleep=1'), ...task(1)));
test('a return inside a would-be cycle', fine, file(...task(0), ...task(1, 'on_success=3'), 'task=2', 'return=0', ...task(3, 'on_success=2')));
test('a deliberate condition whose false side jumps to a handler', fine, file(...task(0), ...task(1, 'next=stdout~again', 'on_success=0', 'on_failure=99'), 'task=99', 'return=0'));
test('next=exit_0 whose false side jumps to a handler: only a failure leaves', endless, file(...task(0), ...task(1, 'next=exit_0', 'on_success=0', 'on_failure=99'), 'task=99', 'return=0'), `10:1 error ${named('0 → 1 → 0')}`);
test('next=never in the middle', fine, file(...task(0, 'next=never'), ...task(1, 'on_success=0')));

test('a cycle through 3000 tasks is found (no deep recursion) and named by its ends', (t) => {
  const n = 3000;
  const lines = Array.from({ length: n }, (_, i) => task(i, `on_success=${(i + 1) % n}`)).flat();
  const found = cycles(file(...lines));
  t.is(found.length, 1);
  t.is(found[0], `${n * 5}:1 error ${named(`0 → 1 → 2 → 3 → 4 → 5 → … → 2994 → 2995 → 2996 → 2997 → 2998 → 2999 → 0 (${n} tasks)`)}`);
});

test('next=success spells out the default: its false side is a failure', endless, file(...task(0), ...task(1, 'next=success', 'on_success=0')), `10:1 error ${named('0 → 1 → 0')}`);
test('next=exit_0 too', endless, file(...task(0), ...task(1, 'next=exit_0', 'on_success=0')), `10:1 error ${named('0 → 1 → 0')}`);
test('success=exit_0 / failure=exit_not_0 too', endless, file(...task(0, 'failure=exit_not_0'), ...task(1, 'success=exit_0', 'on_success=0')), `11:1 error ${named('0 → 1 → 0')}`);
test('a condition guard on a parallel block skips it like a task', fine, file(...task(0), 'task=1', 'type=parallel', 'tasks=100,101', 'condition=@0_stdout@~again', 'on_success=0', ...task(2), ...sub(100), ...sub(101)));
test('next=exit_1 is a deliberate condition', fine, file(...task(0), ...task(1, 'next=exit_1', 'on_success=0')));
