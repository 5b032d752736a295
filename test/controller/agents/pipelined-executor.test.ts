/**
 * The agent executor's start-ahead seam against a real agent (the tasks of a plain sequence sent
 * ahead, pipelined.test.ts has the whole runs): nothing is sent before the agent said it understands
 * it; a task sent ahead starts after a success only, is taken with its output, may wait past its own
 * timeout for its predecessor, and dies with a discard.
 */
import test from 'ava';
import { existsSync } from 'node:fs';
import { join } from 'node:path';
import { createAgentExecutor } from '../../../controller/executors/agent-executor.js';
import { tempDir } from '../../helpers/run-cli.js';
import { eventually, processesMatching, startAgent, uniqueSleep, type AgentProcess } from '../../helpers/agent-process.js';
import { execute, executeDoneLines, next, req, withProbedExecutor } from '../../helpers/start-ahead.js';

let agent: AgentProcess;

test.before(async () => {
  agent = await startAgent(['--listen', '127.0.0.1:0', '--insecure-loopback']);
});

test.after.always(async () => {
  await agent?.stop();
});

test.serial('executor: nothing is sent ahead before the agent said it understands it (an older agent would run it at once)', async (t) => {
  const ex = createAgentExecutor({ name: 'jump', kind: 'plain', address: agent.address });
  try {
    t.is(ex.startAhead.depth, 0);
    const dir = tempDir();
    const r = await execute(ex, req('true', '', [next('touch', join(dir, 'ran'))]));
    t.deepEqual(r.startedAhead, []);
    t.is((await ex.probe()).features.includes('after_call'), true);
    t.is(ex.startAhead.depth, 2);
    t.false(existsSync(join(dir, 'ran')));
  } finally {
    await ex.close();
  }
});

/** Both ways the executor sends tasks: messages on the agent's Session stream, or an Execute call each. */
const BOTH_WAYS = [
  ['on the Session stream', {}],
  ['as Execute calls', { session: false }],
] as const;

for (const [way, options] of BOTH_WAYS) test.serial(`executor (${way}): a task sent ahead starts after a success, is taken with its output, and not after a failure`, async (t) => {
  await withProbedExecutor(agent.address, async (ex) => {
    const dir = tempDir();
    const ok = await execute(ex, req('true', '', [next('sh', `-c "echo ahead; touch ${dir}/ok"`)]));
    t.is(ok.exitCode, 0);
    t.is(ok.startedAhead?.length, 1);
    t.true(await ok.startedAhead![0]!.started);
    let live = '';
    const taken = await execute(ex, { ...req('sh', `-c "echo ahead; touch ${dir}/ok"`), taskId: '2', taken: ok.startedAhead![0], onStdout: (c) => (live += c.toString()) });
    t.is(taken.exitCode, 0);
    t.is(taken.stdout, 'ahead\n');
    t.is(live, 'ahead\n', 'output that arrived before the task was taken is replayed live');
    t.true(existsSync(join(dir, 'ok')));

    const failed = await execute(ex, req('sh', '-c "exit 4"', [next('touch', join(dir, 'bad'))]));
    t.is(failed.exitCode, 4);
    t.false(await failed.startedAhead![0]!.started);
    t.false(existsSync(join(dir, 'bad')));
  }, options);
});

for (const [way, options] of BOTH_WAYS) test.serial(`executor (${way}): a task sent ahead that prints 24 MB before it is taken is held back, then delivered whole`, async (t) => {
  await withProbedExecutor(agent.address, async (ex) => {
    const dir = tempDir();
    const bytes = 24 * 1024 * 1024;
    const big = next('sh', `-c "head -c ${bytes} /dev/zero; touch ${dir}/printed"`);
    const first = await execute(ex, req('true', '', [big]));
    t.true(await first.startedAhead![0]!.started);
    // Held, it may not print everything: the agent stops reading its pipe past about a MiB.
    await new Promise((resolve) => setTimeout(resolve, 500));
    t.false(existsSync(join(dir, 'printed')), 'held back while nobody takes it');
    let live = 0;
    const taken = await execute(ex, { ...req('sh', ''), taken: first.startedAhead![0], captureLimit: 1024, onStdout: (c) => (live += c.length) });
    t.is(taken.exitCode, 0, taken.stderr);
    t.is(taken.stdoutBytes, bytes);
    t.is(live, bytes);
  }, options);
});

test.serial('executor: a task sent ahead may wait for its predecessor past its own timeout plus margin without being given up on', async (t) => {
  // A short margin makes the point quickly: the follower's 2 s timeout plus 0.3 s margin ends
  // long before its predecessor's 3 s sleep does; its deadline counts from when it may start.
  await withProbedExecutor(agent.address, async (ex) => {
    const r = await execute(ex, { ...req('sleep', '3'), timeoutMs: 5000, next: [{ ...next('echo', 'after the sleep'), timeoutMs: 2000 }] });
    t.is(r.exitCode, 0);
    const taken = await execute(ex, { ...req('echo', 'after the sleep'), timeoutMs: 2000, taken: r.startedAhead![0] });
    t.is(taken.exitCode, 0, taken.stderr);
    t.is(taken.stdout, 'after the sleep\n');
  }, { deadlineMarginMs: 300 });
});

test.serial('executor: discarding the tasks sent ahead kills the running one and the one queued behind it never starts', async (t) => {
  await withProbedExecutor(agent.address, async (ex) => {
    const dir = tempDir();
    const s = uniqueSleep();
    const first = req('true', '', [next('sleep', s, '2'), next('touch', join(dir, 'ran'), '3')]);
    const r = await execute(ex, first);
    t.is(r.startedAhead?.length, 2);
    await eventually(() => processesMatching(`sleep ${s}`).length > 0);
    // As the engine does when the run goes elsewhere or ends.
    await Promise.all(r.startedAhead!.map((h) => h.discard()));
    await eventually(() => processesMatching(`sleep ${s}`).length === 0);
    await eventually(() => executeDoneLines(agent, first.runId).length === 3);
    const outcome = Object.fromEntries(executeDoneLines(agent, first.runId).map((l) => [l.taskId, l.outcome]));
    t.regex(outcome['2']!, /^canceled/, 'the sleep was killed');
    t.regex(outcome['3']!, /^not started/, 'the touch never started');
    t.false(existsSync(join(dir, 'ran')));
  });
});
