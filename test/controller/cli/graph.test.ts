/** `--graph`: the workflow drawn as mermaid and dot — a node per task, an edge per way control can go. */
import test from 'ava';
import { spawnSync } from 'node:child_process';
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { toDot, toMermaid } from '../../../core/engine/graph.js';
import { check, file, ROOT } from '../../helpers/tasker.js';

const SEED = readFileSync(join(ROOT, 'examples', 'workflow.txt'), 'utf8');

function workflowOf(text: string) {
  const { workflow, diagnostics } = check(text);
  if (diagnostics.some((d) => d.severity === 'error')) throw new Error(`fixture has errors: ${JSON.stringify(diagnostics)}`);
  return workflow;
}

/** Edges of a dot graph as `from -> to: label`. */
const dotEdges = (dot: string): string[] => [...dot.matchAll(/^ {2}(\w+) -> (\w+) \[label="((?:[^"\\]|\\.)*)"/gm)].map((m) => `${m[1]} -> ${m[2]}: ${m[3]}`);
/** Node labels of a dot graph by node name. */
const dotNodes = (dot: string): Record<string, string> => Object.fromEntries([...dot.matchAll(/^ {2}(\w+) \[label="((?:[^"\\]|\\.)*)"/gm)].map((m) => [m[1]!, m[2]!]));
/** Edges of a mermaid graph in the same form. */
const mermaidEdges = (text: string): string[] => [...text.matchAll(/^ {2}(\w+) -(?:->|\.->)\|"(.*)"\| (\w+)$/gm)].map((m) => `${m[1]} -> ${m[3]}: ${m[2]}`);

const edges = test.macro({
  exec(t, text: string, expected: string[]) {
    const wf = workflowOf(text);
    t.deepEqual(dotEdges(toDot(wf)), expected);
    t.deepEqual(mermaidEdges(toMermaid(wf)), expected.map((e) => e.replace(/\\"/g, '#quot;')));
  },
  title: (provided) => `edges: ${provided}`,
});

const T = (id: number, ...extra: string[]): string[] => [`task=${id}`, 'hostname=localhost', 'command=echo', `arguments=${id}`, 'exec=local', ...extra];

test('the seed workflow', edges, SEED, [
  't0 -> t1: exit_0: TRUE',
  't0 -> fail0: FALSE',
  't1 -> t2: stdout~world: TRUE',
  't1 -> fail1: FALSE',
  't2 -> t2: loop ≤4 while stdout!~2',
  't2 -> t3: loop done',
  't3 -> t4: exit_0|stderr~: TRUE',
  't3 -> t6: FALSE (goto 6)',
  't4 -> t5: success: TRUE',
  't4 -> fail4: FALSE',
  't5 -> ret5: return',
  't6 -> t7: always',
  't7 -> ret7: return',
]);
test('sequential flow off the end finishes with success', edges, file(...T(0), ...T(1)), [
  't0 -> t1: success: TRUE',
  't0 -> fail0: FALSE',
  't1 -> end2: success: TRUE',
  't1 -> fail1: FALSE',
]);
test('on_success and on_failure jumps', edges, file(...T(0, 'success=stdout~ok', 'on_success=2', 'on_failure=1'), ...T(1, 'next=never'), ...T(2)), [
  't0 -> t2: stdout~ok: TRUE',
  't0 -> t1: FALSE (goto 1)',
  't1 -> stop1: next=never',
  't2 -> end3: success: TRUE',
  't2 -> fail2: FALSE',
]);
test('a condition pre-guard can skip to the next task', edges, file('X=1', ...T(0, 'condition=@X@=1'), ...T(1)), [
  't0 -> t1: success: TRUE',
  't0 -> fail0: FALSE',
  't0 -> t1: skip unless @X@=1',
  't1 -> end2: success: TRUE',
  't1 -> fail1: FALSE',
]);
test('a parallel block and its sub-tasks', edges, file('task=0', 'type=parallel', 'tasks=100,101', 'on_failure=1', 'task=1', 'return=1', ...T(100), ...T(101)), [
  't0 -> t100: parallel',
  't0 -> t101: parallel',
  't0 -> t1: success: TRUE',
  't0 -> t1: FALSE (goto 1)',
  't1 -> ret1: return',
]);
test('a conditional block and its branches', edges, file('X=1', 'task=0', 'type=conditional', 'condition=@X@=1', 'if_true_tasks=100', 'if_false_tasks=101', 'task=1', 'return=0', ...T(100), ...T(101)), [
  't0 -> t100: if true',
  't0 -> t101: if false',
  't0 -> t1: success: TRUE',
  't0 -> fail0: FALSE',
  't1 -> ret1: return',
]);
test('a decision with both jumps', edges, file('X=1', 'task=0', 'type=decision', 'success=@X@=1', 'on_success=2', 'on_failure=1', 'task=1', 'return=1', 'task=2', 'return=0'), [
  't0 -> t2: @X@=1: TRUE',
  't0 -> t1: FALSE (goto 1)',
  't1 -> ret1: return',
  't2 -> ret2: return',
]);

test('a node per task with id, command line and exec type', (t) => {
  const nodes = dotNodes(toDot(workflowOf(SEED)));
  t.is(nodes['t0'], 'TASK 0\\necho hello\\nexec=local');
  t.is(nodes['t2'], 'TASK 2\\n./increment_counter.sh\\nexec=local');
  t.is(nodes['ret7'], 'RETURN 1');
  t.deepEqual(Object.keys(nodes).filter((n) => /^t\d+$/.test(n)), ['t0', 't1', 't2', 't3', 't4', 't5', 't6', 't7']);
});

test('labels are escaped for both formats and long command lines shortened', (t) => {
  const wf = workflowOf(file('task=0', 'hostname=h', 'command=echo', 'arguments=say "hi" \\ there', 'exec=local', 'task=1', 'hostname=h', 'command=a_very_long_program_name', 'arguments=with arguments that run well past forty characters', 'exec=local'));
  t.is(dotNodes(toDot(wf))['t0'], 'TASK 0\\necho say \\"hi\\" \\\\ there\\nexec=local');
  t.is(dotNodes(toDot(wf))['t1'], 'TASK 1\\na_very_long_program_name with argumen...\\nexec=local');
  t.true(toMermaid(wf).includes('  t0["TASK 0<br/>echo say #quot;hi#quot; \\ there<br/>exec=local"]'));
});

test('mermaid colours true edges green and false edges red by index', (t) => {
  const lines = toMermaid(workflowOf(file(...T(0), ...T(1)))).trimEnd().split('\n');
  t.deepEqual(lines.slice(-2), ['  linkStyle 0,2 stroke:#2e9d4d', '  linkStyle 1,3 stroke:#e74c3c']);
});

const graphvizAccepts = test.macro({
  exec(t, text: string) {
    const r = spawnSync('dot', ['-Tsvg'], { input: toDot(workflowOf(text)), encoding: 'utf8' });
    t.is(r.status, 0, r.stderr);
    t.regex(r.stdout, /<svg/);
  },
  title: (provided) => `Graphviz renders the dot of ${provided}`,
});
test('the seed workflow', graphvizAccepts, SEED);
test('labels with quotes, backslashes and braces', graphvizAccepts, file('task=0', 'hostname=h', 'command=printf', 'arguments="%s\\n" "{a|b}" <x> \'q\'', 'exec=local', 'success=stdout~"a|b"'));
test('blocks', graphvizAccepts, file('task=0', 'type=parallel', 'tasks=100,101', 'task=1', 'return=0', ...T(100), ...T(101)));
