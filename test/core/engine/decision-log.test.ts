/**
 * The decision log: a decision waits for its route and is written once, in order; it is kept for
 * the JSON only with `keep`; a term's warning comes once per top-level task; at most
 * MAX_DECISIONS_PER_KEY decisions are kept per key.
 */
import test from 'ava';
import { DecisionLog, MAX_DECISIONS_PER_KEY } from '../../../core/engine/decision-log.js';
import { RunLog } from '../../../core/engine/run-log.js';

function setup(show: 'info' | 'debug', keep: boolean, level: 'INFO' | 'DEBUG' = 'INFO') {
  const writes: string[] = [];
  const log = new RunLog({ console: { write: (t: string) => writes.push(t) }, level });
  const decisions = new DecisionLog(log, { show, keep });
  const lines = (): string[] => {
    log.flush();
    return writes.join('').split('\n').filter(Boolean).map((l) => l.replace(/^\[[^\]]+\] /, ''));
  };
  return { log, decisions, lines };
}

const term = (expr: string, values: string, result: boolean) => ({ expr, values, result });

test('a decision without its route waits for it; a route given at once writes it at once', (t) => {
  const { decisions, lines } = setup('info', true);
  decisions.record('0', 'success', { result: true, terms: [term('exit_0', '0 = 0', true)] });
  t.deepEqual(lines(), [], 'waiting for its route');
  t.true(decisions.route('0', 'task 1'));
  t.false(decisions.route('0', 'task 2'), 'written once: nothing waits any more');
  decisions.record('1', 'condition', { result: false, terms: [term('@X@=1', '"0" = "1"', false)] }, 'skip → task 2');
  t.deepEqual(lines(), ['Task 0: success exit_0: 0 = 0 → true → task 1', 'Task 1: condition @X@=1: "0" = "1" → false → skip → task 2']);
  t.deepEqual(decisions.byKey.get('0'), [{ kind: 'success', text: 'success exit_0: 0 = 0 → true → task 1', terms: [term('exit_0', '0 = 0', true)], result: true, route: 'task 1' }]);
});

test('a new decision at the same key, or flush, writes the waiting one without a route', (t) => {
  const { decisions, lines } = setup('info', true);
  decisions.record('3.1', 'success', { result: true, terms: [term('stdout~x', '"x" contains "x"', true)] });
  decisions.record('3.1', 'loop_break', { result: false, terms: [term('exit_1', '0 = 1', false)] });
  decisions.record('4-401', 'success', { result: false, terms: [term('exit_0', '2 = 0', false)] });
  decisions.flush();
  t.deepEqual(lines(), [
    'Task 3.1: success stdout~x: "x" contains "x" → true',
    'Task 3.1: loop_break exit_1: 0 = 1 → false',
    'Task 4-401: success exit_0: 2 = 0 → false',
  ]);
  t.is(decisions.byKey.get('3.1')![1]!.route, null);
});

test('an override term changes the waiting decision\'s result (a timeout fails the task)', (t) => {
  const { decisions, lines } = setup('info', true);
  decisions.record('2', 'failure', { result: false, terms: [term('stderr~fatal', '"" contains "fatal"', false)] });
  decisions.override('2', term('timed_out', 'the command timed out', true));
  decisions.route('2', 'end (exit 10)');
  t.deepEqual(lines(), ['Task 2: failure timed_out: [stderr~fatal: "" contains "fatal" → false] the command timed out → true → end (exit 10)']);
});

test('show=debug writes DEBUG lines (on the console only with -d); without keep nothing is kept', (t) => {
  const quiet = setup('debug', false);
  t.false(quiet.decisions.visible);
  t.false(quiet.decisions.recordsDefaults, 'nothing shown, nothing kept: the implicit success of a task without next is not recorded');
  quiet.decisions.record('0', 'next', { result: true, terms: [term('exit_0', '0 = 0', true)] }, 'task 1');
  t.deepEqual(quiet.lines(), [], 'not on the console');
  const debug = setup('debug', false, 'DEBUG');
  t.true(debug.decisions.visible && debug.decisions.recordsDefaults);
  debug.decisions.record('0', 'next', { result: true, terms: [term('exit_0', '0 = 0', true)] }, 'task 1');
  t.deepEqual(debug.lines(), ['DEBUG: Task 0: next exit_0: 0 = 0 → true → task 1']);
  t.is(debug.decisions.byKey.size, 0);
  const kept = setup('debug', true);
  t.true(kept.decisions.recordsDefaults);
  t.false(kept.decisions.visible);
  kept.decisions.record('0', 'next', { result: true, terms: [term('exit_0', '0 = 0', true)] }, 'task 1');
  t.deepEqual(kept.lines(), [], 'not on the console at INFO');
  t.is(kept.decisions.byKey.get('0')!.length, 1);
});

test('a term\'s warning comes once per top-level task: loop iterations and sub-tasks share it', (t) => {
  const { log, decisions, lines } = setup('debug', false);
  const w = [{ expr: '@A@<5', message: '"x" is not a number' }];
  decisions.warn('3.1', w);
  decisions.warn('3.2', w);
  decisions.warn('4-401', w);
  decisions.warn('4-402', w);
  decisions.warn('5', w);
  decisions.warn('5', [{ expr: '@B@<5', message: '"y" is not a number' }]);
  t.deepEqual(lines(), [
    "WARN: Task 3: condition term '@A@<5': \"x\" is not a number",
    "WARN: Task 4-401: condition term '@A@<5': \"x\" is not a number",
    "WARN: Task 5: condition term '@A@<5': \"x\" is not a number",
    "WARN: Task 5: condition term '@B@<5': \"y\" is not a number",
  ]);
  t.is(log.warnings.length, 4, 'each is also a JSON warning');
});

test('at most MAX_DECISIONS_PER_KEY decisions are kept per key: the latest', (t) => {
  const { decisions } = setup('debug', true);
  for (let i = 0; i < MAX_DECISIONS_PER_KEY + 20; i++) decisions.record('7', 'next', { result: true, terms: [term('exit_0', `${i}`, true)] }, `task ${i}`);
  const kept = decisions.byKey.get('7')!;
  t.is(kept.length, MAX_DECISIONS_PER_KEY);
  t.is(kept[0]!.route, 'task 20');
  t.is(kept[kept.length - 1]!.route, `task ${MAX_DECISIONS_PER_KEY + 19}`);
});
