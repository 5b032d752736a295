import test from 'ava';
import { check, file } from '../../helpers/tasker.js';

interface Expected {
  code: string;
  severity: 'error' | 'warning';
  line: number;
  col: number;
  message?: string;
  hint?: string;
}

/** A minimal valid task 0 that falls through to task 1 (when there is one). */
const T0 = ['task=0', 'hostname=localhost', 'command=echo'];
const task = (id: number, ...extra: string[]): string[] => [`task=${id}`, 'hostname=localhost', 'command=echo', ...extra];

/** The full list of diagnostics (code, severity, position) and, where given, message and hint. */
const diagnoses = test.macro({
  exec(t, text: string, expected: Expected[]) {
    const { diagnostics } = check(text);
    t.deepEqual(
      diagnostics.map((d) => ({ code: d.code, severity: d.severity, line: d.line, col: d.col })),
      expected.map((e) => ({ code: e.code, severity: e.severity, line: e.line, col: e.col })),
    );
    expected.forEach((e, i) => {
      if (e.message !== undefined) t.is(diagnostics[i]?.message, e.message, `message of ${e.code}`);
      if (e.hint !== undefined) t.is(diagnostics[i]?.hint, e.hint, `hint of ${e.code}`);
    });
  },
  title: (provided, _text: string, expected: Expected[]) => provided ?? (expected.map((e) => `${e.severity}[${e.code}]`).join(', ') || 'no diagnostics'),
});

const clean = test.macro({
  exec(t, text: string) {
    t.deepEqual(check(text).diagnostics, []);
  },
  title: (provided) => `${provided ?? 'valid'}: no diagnostics`,
});

// Valid files.
test('two plain tasks', clean, file(...T0, ...task(1)));
test('routing with next, on_success and goto', clean, file(...task(0, 'next=exit_0', 'on_success=2', 'goto=1'), ...task(1, 'next=never'), ...task(2)));
test('a loop with next=loop and loop=N', clean, file(...task(0, 'next=loop&stdout!~2', 'loop=3'), ...task(1)));
test('globals used in fields', clean, file('HOST=web01', 'ARGS=-la', 'task=0', 'hostname=@HOST@', 'command=ls', 'arguments=@ARGS@', 'exec=pbrun'));
test('a return-only task needs no command or hostname', clean, file(...T0, 'task=1', 'return=3'));
test('a parallel block with sub-tasks in the 100 range', clean, file('task=0', 'type=parallel', 'tasks=100,101', 'max_parallel=2', 'success=all_success', 'task=1', 'return=0', ...task(100), ...task(101)));
test('a decision block', clean, file('X=1', 'task=0', 'type=decision', 'success=@X@=1', 'on_success=2', 'on_failure=1', 'task=1', 'return=1', 'task=2', 'return=0'));
test('a conditional block', clean, file('X=1', 'task=0', 'type=conditional', 'condition=@X@=1', 'if_true_tasks=100', 'if_false_tasks=101', 'next=all_success', 'task=1', 'return=0', ...task(100), ...task(101)));
test('@N_stdout@ of an earlier task', clean, file(...T0, ...task(1, 'arguments=@0_stdout@ @0_exit@')));
test('exec type names are case-insensitive', clean, file(...task(0, 'exec=LOCAL')));
test('timeout at the bounds', clean, file(...task(0, 'timeout=5'), ...task(1, 'timeout=1000')));

// Required fields.
test(diagnoses, file('task=0', 'hostname=localhost'), [
  { code: 'MISSING_COMMAND', severity: 'error', line: 1, col: 1, message: 'task 0 has no command (and no return)', hint: 'add command=…, or return=N to end the workflow here' },
]);
test(diagnoses, file('task=0', 'command=echo'), [
  { code: 'MISSING_HOSTNAME', severity: 'error', line: 1, col: 1, message: 'task 0 has a command but no hostname', hint: 'add hostname=… (hostname=localhost for exec=local)' },
]);
test(diagnoses, file('task=0', 'hostname=', 'command=echo'), [
  { code: 'EMPTY_HOSTNAME', severity: 'error', line: 2, col: 10, message: 'task 0: hostname is empty' },
]);
test(diagnoses, file('task=0', 'hostname=h', 'command=echo hi'), [
  { code: 'COMMAND_HAS_SPACES', severity: 'warning', line: 3, col: 9, hint: 'put the program in command= and the rest in arguments=' },
]);

// Jumps.
test('on_success to an undefined task', diagnoses, file(...task(0, 'on_success=5'), ...task(1)), [
  { code: 'UNDEFINED_TARGET', severity: 'error', line: 4, col: 12, message: 'task 0: on_success=5 jumps to a task that is not defined' },
  { code: 'UNREACHABLE_TASK', severity: 'warning', line: 5, col: 1 },
]);
test('goto to an undefined task', diagnoses, file(...task(0, 'goto=42'), ...task(1), ...task(2)), [
  { code: 'UNDEFINED_TARGET', severity: 'error', line: 4, col: 6, message: 'task 0: goto=42 jumps to a task that is not defined', hint: 'did you mean 2?' },
]);
test('on_failure to an undefined task far from every id lists the defined ones', diagnoses, file(...task(0, 'on_failure=777'), ...task(1)), [
  { code: 'UNDEFINED_TARGET', severity: 'error', line: 4, col: 12, hint: 'defined tasks: 0, 1' },
]);
test('goto together with on_failure', diagnoses, file(...task(0, 'goto=1', 'on_failure=1'), ...task(1)), [
  { code: 'GOTO_WITH_ON_FAILURE', severity: 'error', line: 4, col: 6, message: 'task 0: goto and on_failure are both set (line 5); they mean the same jump', hint: 'keep one of them' },
]);
test('a jump to the task itself', diagnoses, file(...task(0, 'on_success=0')), [
  { code: 'JUMP_TO_SELF', severity: 'error', line: 4, col: 12, hint: 'use next=loop with loop=N to repeat a task' },
]);
test('a jump target that is not a number', diagnoses, file(...task(0, 'on_failure=abc'), ...task(1)), [
  { code: 'NOT_AN_INTEGER', severity: 'error', line: 4, col: 12, message: "task 0: on_failure must be a whole number, got 'abc'" },
]);
test('next=N is a numeric jump, rejected', diagnoses, file(...task(0, 'next=1'), ...task(1)), [
  { code: 'NUMERIC_NEXT', severity: 'error', line: 4, col: 6, message: 'task 0: next=1 jumps directly, which is not supported', hint: 'use on_success=1 (or goto=1 for the false case)' },
]);
test('a block rule in next of a plain task', diagnoses, file(...task(0, 'next=all_success')), [
  { code: 'AGGREGATE_ON_TASK', severity: 'error', line: 4, col: 6, message: 'task 0: next=all_success is a block rule; it only applies to type=parallel or type=conditional' },
]);
test('a misspelt condition word in next', diagnoses, file(...task(0, 'next=stdot~ok')), [
  { code: 'UNKNOWN_CONDITION', severity: 'error', line: 4, col: 6, message: "task 0: next: 'stdot~ok' is not a condition; did you mean 'stdout~ok'?" },
]);

// Loops.
test('next=loop without loop', diagnoses, file(...task(0, 'next=loop')), [
  { code: 'NEXT_LOOP_WITHOUT_LOOP', severity: 'error', line: 4, col: 6, message: 'task 0: next=loop needs loop=N (how many more runs)', hint: 'add loop=N: the task then runs N+1 times at most' },
]);
test('loop without next=loop', diagnoses, file(...task(0, 'loop=3')), [
  { code: 'LOOP_WITHOUT_NEXT_LOOP', severity: 'error', line: 4, col: 6, message: 'task 0: loop= has no effect without next=loop', hint: 'add next=loop (or next=loop&CONDITION)' },
]);
test('loop=0 is out of range', diagnoses, file(...task(0, 'next=loop', 'loop=0')), [
  { code: 'OUT_OF_RANGE', severity: 'error', line: 5, col: 6, message: 'task 0: loop must be between 1 and 1000, got 0' },
]);
test('loop above 100 warns', diagnoses, file(...task(0, 'next=loop', 'loop=500')), [
  { code: 'LARGE_LOOP', severity: 'warning', line: 5, col: 6, message: 'task 0: loop=500 repeats the task more than 100 times' },
]);

// Flow analysis.
test('a task after next=never that nothing jumps to is unreachable', diagnoses, file(...task(0, 'next=never'), ...task(1)), [
  { code: 'UNREACHABLE_TASK', severity: 'warning', line: 5, col: 1, message: 'task 1 can never run: no task continues to it or jumps to it' },
]);
test('a task after a return is unreachable', diagnoses, file('task=0', 'return=0', ...task(1)), [
  { code: 'UNREACHABLE_TASK', severity: 'warning', line: 3, col: 1 },
]);
test('a numbering gap that flow falls into names the missing ids', diagnoses, file(...T0, ...task(1), ...task(4)), [
  {
    code: 'SEQUENCE_GAP', severity: 'error', line: 4, col: 1,
    message: 'Task sequence has a gap: task 1 continues to task 2, which does not exist. Missing task(s): [2, 3]',
    hint: 'number the tasks without gaps, or end task 1 with next=never / return=N, or route it with on_success=4',
  },
  { code: 'UNREACHABLE_TASK', severity: 'warning', line: 7, col: 1 },
]);
test('a gap after next=never is not an error', diagnoses, file(...task(0, 'next=never'), ...task(5)), [
  { code: 'UNREACHABLE_TASK', severity: 'warning', line: 5, col: 1 },
]);
test('a gap before a jump target is not an error', clean, file(...task(0, 'on_failure=5'), ...task(1, 'next=never'), ...task(5)));
test('a gap before the handler range 90-99 is not an error', clean, file(...task(0, 'goto=90'), ...task(1, 'return=0'), ...task(90)));
test('no task 0 warns that the workflow starts elsewhere', diagnoses, file(...task(1), ...task(2)), [
  { code: 'NO_TASK_ZERO', severity: 'warning', line: 1, col: 1, message: 'there is no task 0; the workflow starts at task 1' },
]);

// Timeout, sleep, return.
const timeoutClamped = test.macro({
  exec(t, given: string, used: number) {
    const { diagnostics } = check(file(...task(0, `timeout=${given}`)));
    t.deepEqual(diagnostics.map((d) => [d.code, d.severity, d.line, d.col, d.message]), [
      ['TIMEOUT_CLAMPED', 'warning', 4, 9, `task 0: timeout ${given} is outside 5–1000 seconds; using ${used}`],
    ]);
  },
  title: (_p, given: string, used: number) => `timeout=${given} is clamped to ${used} with a warning`,
});
test(timeoutClamped, '0', 5);
test(timeoutClamped, '4', 5);
test(timeoutClamped, '1001', 1000);
test(timeoutClamped, '86400', 1000);
test('a timeout from a global is checked after substitution', diagnoses, file('T=2', ...task(0, 'timeout=@T@')), [
  { code: 'TIMEOUT_CLAMPED', severity: 'warning', line: 5, col: 9, message: 'task 0: timeout 2 is outside 5–1000 seconds; using 5' },
]);
test('a timeout that is not a number', diagnoses, file(...task(0, 'timeout=abc')), [
  { code: 'NOT_AN_INTEGER', severity: 'error', line: 4, col: 9, message: "task 0: timeout must be a whole number of seconds, got 'abc'" },
]);
test('a timeout on a task without a command', diagnoses, file('task=0', 'return=1', 'timeout=10'), [
  { code: 'TIMEOUT_WITHOUT_COMMAND', severity: 'error', line: 3, col: 9 },
]);
test('a sleep that is not a number', diagnoses, file(...task(0, 'sleep=abc')), [
  { code: 'INVALID_SLEEP', severity: 'error', line: 4, col: 7, message: "task 0: sleep must be a number of seconds, got 'abc'" },
]);
test('a return that is not a whole number', diagnoses, file(...task(0, 'return=abc')), [
  { code: 'INVALID_RETURN', severity: 'error', line: 4, col: 8, message: "task 0: return value 'abc' is not a whole number" },
]);
test('return=1.5 is not a whole number', diagnoses, file('task=0', 'return=1.5'), [
  { code: 'INVALID_RETURN', severity: 'error', line: 2, col: 8 },
]);
test('a negative return warns with the code the shell sees', diagnoses, file(...task(0, 'return=-1')), [
  { code: 'NEGATIVE_RETURN', severity: 'warning', line: 4, col: 8, message: 'task 0: return=-1 is negative; the shell sees 255' },
]);

// Exec types.
test('an unknown exec type close to a known one', diagnoses, file(...task(0, 'exec=pbrn')), [
  { code: 'UNKNOWN_EXEC_TYPE', severity: 'error', line: 4, col: 6, message: "task 0: exec type 'pbrn' is not configured", hint: "did you mean 'pbrun'?" },
]);
test('an unknown exec type far from any lists the known ones', diagnoses, file(...task(0, 'exec=kubectl')), [
  { code: 'UNKNOWN_EXEC_TYPE', severity: 'error', line: 4, col: 6, hint: 'known types: /bin/bash, /bin/sh, bash, local, p7s, pbrun, sh, shell, ssh, wwrs' },
]);

// Variables.
test('@N_stdout@ of a task that does not exist', diagnoses, file(...T0, ...task(1, 'arguments=@5_stdout@')), [
  { code: 'UNDEFINED_TASK_VARIABLE', severity: 'error', line: 7, col: 11, message: 'task 1: @5_stdout@ refers to task 5, which is not defined' },
]);
test('@N_stdout@ of a later task', diagnoses, file(...task(0, 'arguments=x @1_stdout@'), ...task(1)), [
  { code: 'VARIABLE_BEFORE_RUN', severity: 'warning', line: 4, col: 13, message: 'task 0: @1_stdout@ comes from task 1, which cannot have run before task 0' },
]);
test("@N_stdout@ of the task's own result in its arguments", diagnoses, file(...task(0, 'arguments=@0_stdout@')), [
  { code: 'VARIABLE_BEFORE_RUN', severity: 'warning', line: 4, col: 11, message: "task 0: @0_stdout@ is the task's own result, which does not exist before it runs" },
]);
test("a task's own result in next is fine", clean, file(...task(0, 'next=@0_exit@=0')));
test('an undefined global close to a defined one', diagnoses, file('ENVIRONMENT=prod', ...task(0, 'arguments=@ENVIROMENT@')), [
  { code: 'UNDEFINED_VARIABLE', severity: 'error', line: 5, col: 11, message: 'task 0: @ENVIROMENT@ is not a defined global variable', hint: 'did you mean @ENVIRONMENT@?' },
]);
test('an undefined global with nothing close', diagnoses, file(...task(0, 'arguments=@XYZ@')), [
  { code: 'UNDEFINED_VARIABLE', severity: 'error', line: 4, col: 11, hint: 'define it before the first task: XYZ=value' },
]);
test('globals are case-sensitive', diagnoses, file('HOST=web01', 'task=0', 'hostname=@host@', 'command=echo'), [
  { code: 'UNDEFINED_VARIABLE', severity: 'error', line: 3, col: 10, message: 'task 0: @host@ is not a defined global variable' },
]);
test('an undefined global inside a global', diagnoses, file('A=@B@', ...T0), [
  { code: 'UNDEFINED_VARIABLE', severity: 'error', line: 1, col: 3, message: "global 'A': @B@ is not defined" },
]);
test('an unset environment variable in a global no task uses warns', diagnoses, file('A=$NOPE_UNSET', ...T0), [
  { code: 'UNSET_ENV_VAR', severity: 'warning', line: 1, col: 3, message: "global 'A' uses $NOPE_UNSET, which is not set; no task uses 'A', so this is only a warning" },
]);
test('a set environment variable expands into the global', (t) => {
  const { workflow, diagnostics } = check(file('DIR=${BASE}/x', ...T0), { BASE: '/srv' });
  t.deepEqual(diagnostics, []);
  t.is(workflow.globals.get('DIR'), '/srv/x');
});

// Keys.
test('a misspelt key', diagnoses, file(...T0, 'argumens=-l'), [
  { code: 'UNKNOWN_KEY', severity: 'warning', line: 4, col: 1, message: "task 0: unknown key 'argumens' is ignored; did you mean 'arguments'?" },
]);
test('success and failure together', diagnoses, file(...task(0, 'success=exit_0', 'failure=exit_1')), [
  { code: 'SUCCESS_AND_FAILURE', severity: 'error', line: 5, col: 9, hint: 'keep one of them: failure=X means success is not X' },
]);
test('a block key on a plain task', diagnoses, file(...task(0, 'max_parallel=2')), [
  { code: 'BLOCK_KEY_ON_TASK', severity: 'warning', line: 4, col: 14, message: 'task 0: max_parallel= only applies to a parallel or conditional block; it is ignored' },
]);
test('an unknown type', diagnoses, file('task=0', 'type=paralel', 'return=0'), [
  { code: 'UNKNOWN_TASK_TYPE', severity: 'error', line: 2, col: 6, message: "task 0: type 'paralel' is not parallel, conditional or decision", hint: "did you mean 'parallel'?" },
]);

// Blocks.
test('a parallel block without tasks or hostnames', diagnoses, file('task=0', 'type=parallel'), [
  { code: 'PARALLEL_WITHOUT_TASKS', severity: 'error', line: 1, col: 1, message: 'parallel task 0 has neither tasks= nor hostnames=', hint: 'list the sub-tasks: tasks=10,11,12' },
]);
test('hostnames with invalid names', diagnoses, file('task=0', 'type=parallel', 'command=uptime', 'hostnames=web01, bad_host!,300.1.1.1,10.0.0.1'), [
  { code: 'INVALID_HOSTNAME', severity: 'error', line: 4, col: 18, message: "task 0: 'bad_host!' is not a valid host name or IP address" },
  { code: 'INVALID_HOSTNAME', severity: 'error', line: 4, col: 28, message: "task 0: '300.1.1.1' is not a valid host name or IP address" },
]);
test('hostnames entries may carry a user and a port, as hostname= does', clean, file('task=0', 'type=parallel', 'command=uptime', 'hostnames=ops@web01:2222,10.0.0.5:22,root@db01,[::1]:22,ops@[fe80::1]:2200,::1'));
test('hostnames entries with a bad user, port or IPv6 part name it', diagnoses, file('task=0', 'type=parallel', 'command=uptime', 'hostnames=web01:0,@web02,ops@,web03:ssh,[web04]:22,[::1'), [
  { code: 'INVALID_HOSTNAME', severity: 'error', line: 4, col: 11, message: "task 0: port '0' in 'web01:0' must be 1-65535" },
  // `@name` is an inventory group (issue 15, docs/inventory.md), so without an inventory it asks for one.
  { code: 'INVENTORY_REQUIRED', severity: 'error', line: 4, col: 19, message: "task 0: '@web02' names an inventory group, but no inventory is given" },
  { code: 'INVALID_HOSTNAME', severity: 'error', line: 4, col: 26, message: "task 0: 'ops@' has no host after '@'" },
  { code: 'INVALID_HOSTNAME', severity: 'error', line: 4, col: 31, message: "task 0: port 'ssh' in 'web03:ssh' must be 1-65535" },
  { code: 'INVALID_HOSTNAME', severity: 'error', line: 4, col: 41, message: "task 0: '[web04]' in '[web04]:22' is not an IPv6 address" },
  { code: 'INVALID_HOSTNAME', severity: 'error', line: 4, col: 52, message: "task 0: '[::1' has an unclosed '[' (write an IPv6 address with a port as [::1]:22)" },
]);
test('hostnames with a single host', diagnoses, file('task=0', 'type=parallel', 'command=uptime', 'hostnames=web01'), [
  { code: 'HOSTNAMES_COUNT', severity: 'error', line: 4, col: 11, message: 'task 0: hostnames= lists 1 host(s); give 2 to 1000' },
]);
test('hostnames without a command', diagnoses, file('task=0', 'type=parallel', 'hostnames=a,b'), [
  { code: 'HOSTNAMES_WITHOUT_COMMAND', severity: 'error', line: 3, col: 11 },
]);
test('@TASK@ is allowed in a hostnames fan-out', clean, file('task=0', 'type=parallel', 'command=ping', 'arguments=-c1 @TASK@', 'hostnames=a,b'));
test('a sub-task list that is not a list of ids', diagnoses, file('task=0', 'type=parallel', 'tasks=100,x', 'task=1', 'return=0', ...task(100)), [
  { code: 'INVALID_TASK_ID', severity: 'error', line: 3, col: 11, message: "task 0: 'x' in tasks is not a task id" },
]);
test('a sub-task that is not defined', diagnoses, file('task=0', 'type=parallel', 'tasks=100,101', 'task=1', 'return=0', ...task(100)), [
  { code: 'UNDEFINED_SUBTASK', severity: 'error', line: 3, col: 11, message: 'task 0: tasks lists task 101, which is not defined' },
]);
test('a block listing itself', diagnoses, file('task=0', 'type=parallel', 'tasks=0,100', 'task=1', 'return=0', ...task(100)), [
  { code: 'SELF_REFERENCE', severity: 'error', line: 3, col: 7, message: 'task 0: tasks lists the block itself' },
]);
test('a nested block', diagnoses, file('task=0', 'type=parallel', 'tasks=100', 'task=1', 'return=0', 'task=100', 'type=parallel', 'tasks=101', ...task(101)), [
  { code: 'NESTED_BLOCK', severity: 'error', line: 3, col: 7, message: 'task 0: sub-task 100 is itself a parallel block; blocks do not nest' },
]);
test('routing inside a sub-task', diagnoses, file('task=0', 'type=parallel', 'tasks=100', 'task=1', 'return=0', ...task(100, 'on_failure=1')), [
  { code: 'ROUTING_IN_SUBTASK', severity: 'error', line: 9, col: 12, message: 'task 100 is a sub-task of block 0; on_failure= cannot route inside a block', hint: 'route on the block instead' },
]);
test('a block success rule that is a task condition', diagnoses, file('task=0', 'type=parallel', 'tasks=100', 'success=exit_0', 'task=1', 'return=0', ...task(100)), [
  { code: 'INVALID_BLOCK_SUCCESS', severity: 'error', line: 4, col: 9 },
]);
test('failure= on a block', diagnoses, file('task=0', 'type=parallel', 'tasks=100', 'failure=exit_1', 'task=1', 'return=0', ...task(100)), [
  { code: 'FAILURE_ON_BLOCK', severity: 'error', line: 4, col: 9, hint: 'use success= with a block rule' },
]);
test('block limits out of range', diagnoses, file('task=0', 'type=parallel', 'tasks=100', 'max_parallel=0', 'retry_count=x', 'retry_delay=500', 'task=1', 'return=0', ...task(100)), [
  { code: 'OUT_OF_RANGE', severity: 'error', line: 4, col: 14, message: 'task 0: max_parallel must be between 1 and 1000, got 0' },
  { code: 'NOT_AN_INTEGER', severity: 'error', line: 5, col: 13 },
  { code: 'OUT_OF_RANGE', severity: 'error', line: 6, col: 13, message: 'task 0: retry_delay must be between 0 and 300, got 500' },
]);
test('a conditional block without condition and branches', diagnoses, file('task=0', 'type=conditional'), [
  { code: 'CONDITIONAL_WITHOUT_CONDITION', severity: 'error', line: 1, col: 1, message: 'conditional task 0 has no condition=' },
  { code: 'MISSING_BRANCH', severity: 'error', line: 1, col: 1, message: 'conditional task 0 has no if_true_tasks=' },
  { code: 'MISSING_BRANCH', severity: 'error', line: 1, col: 1, message: 'conditional task 0 has no if_false_tasks=' },
]);
test('a conditional branch listing an undefined task', diagnoses, file('X=1', 'task=0', 'type=conditional', 'condition=@X@=1', 'if_true_tasks=100', 'if_false_tasks=102', 'task=1', 'return=0', ...task(100)), [
  { code: 'UNDEFINED_SUBTASK', severity: 'error', line: 6, col: 16, message: 'task 0: if_false_tasks lists task 102, which is not defined' },
]);
test('an empty branch list', diagnoses, file('X=1', 'task=0', 'type=conditional', 'condition=@X@=1', 'if_true_tasks=100', 'if_false_tasks=', 'task=1', 'return=0', ...task(100)), [
  { code: 'EMPTY_TASK_LIST', severity: 'error', line: 6, col: 16, hint: 'for example tasks=10,11,12' },
]);
test('a decision block without a rule', diagnoses, file('task=0', 'type=decision', 'task=1', 'return=0'), [
  { code: 'DECISION_WITHOUT_RULE', severity: 'error', line: 1, col: 1, message: 'decision task 0 needs success= or failure=' },
]);
test('a decision block with a command', diagnoses, file('X=1', 'task=0', 'type=decision', 'success=@X@=1', 'command=echo', 'task=1', 'return=0'), [
  { code: 'FIELD_ON_DECISION', severity: 'error', line: 5, col: 9, message: 'task 0: a decision block does not run anything; remove command=' },
]);
test('timeout on a decision block', diagnoses, file('X=1', 'task=0', 'type=decision', 'success=@X@=1', 'timeout=10', 'task=1', 'return=0'), [
  { code: 'TIMEOUT_ON_BLOCK', severity: 'error', line: 5, col: 9, hint: 'set timeout on the sub-tasks' },
]);

// Splits.
const badSplit = test.macro({
  exec(t, spec: string, message: string) {
    const { diagnostics } = check(file(...task(0, `stdout_split=${spec}`)));
    t.deepEqual(diagnostics.map((d) => [d.code, d.severity, d.line, d.col, d.message, d.hint]), [
      ['INVALID_SPLIT', 'error', 4, 14, `task 0: stdout_split=${spec}: ${message}`, 'write stdout_split=DELIMITER,INDEX, e.g. stdout_split=space,1'],
    ]);
  },
  title: (_p, spec: string) => `stdout_split=${spec} is rejected`,
});
test(badSplit, 'space', 'expected DELIMITER,INDEX');
test(badSplit, ',1', 'expected DELIMITER,INDEX');
test(badSplit, 'space,x', "index 'x' is not a whole number");
test(badSplit, 'comma,', "index '' is not a whole number");
test('a misspelt delimiter name warns and is used literally', diagnoses, file(...task(0, 'stderr_split=comam,1')), [
  { code: 'UNKNOWN_DELIMITER', severity: 'warning', line: 4, col: 14, message: "task 0: 'comam' is not a delimiter name; it is used literally", hint: "did you mean 'comma'?" },
]);
test('a negative split index warns', diagnoses, file(...task(0, 'stdout_split=comma,-1')), [
  { code: 'NEGATIVE_SPLIT_INDEX', severity: 'warning', line: 4, col: 14 },
]);
test('a split spec is kept on the task', (t) => {
  const { workflow, diagnostics } = check(file(...task(0, 'stdout_split=space,2', 'stderr_split=;,0')));
  t.deepEqual(diagnostics, []);
  t.deepEqual(workflow.tasks.get(0)?.stdoutSplit, { delimiter: 'space', index: 2 });
  t.deepEqual(workflow.tasks.get(0)?.stderrSplit, { delimiter: ';', index: 0 });
});

test('all problems of a file are reported in one run', (t) => {
  const { diagnostics } = check(file('task=0', 'command=echo', 'exec=pbrn', 'timeout=abc', 'task=1', 'hostname=h', 'command=x', 'next=loop'));
  t.deepEqual(diagnostics.map((d) => d.code), ['MISSING_HOSTNAME', 'UNKNOWN_EXEC_TYPE', 'NOT_AN_INTEGER', 'NEXT_LOOP_WITHOUT_LOOP']);
});

test('@N_stdout@ of a task on another branch: it cannot have run before, so a warning', (t) => {
  const text = 'task=0\nhostname=localhost\nexec=local\ncommand=true\non_success=1\ngoto=2\n\ntask=1\nhostname=localhost\nexec=local\ncommand=echo\nnext=never\n\ntask=2\nhostname=localhost\nexec=local\ncommand=echo\narguments=@1_stdout@\n';
  const { diagnostics } = check(text);
  const d = diagnostics.find((x) => x.code === 'VARIABLE_BEFORE_RUN');
  t.truthy(d);
  t.is(d?.line, 18);
  t.is(d?.col, 11);
  t.regex(d?.message ?? '', /task 1, which cannot have run before task 2/);
});
