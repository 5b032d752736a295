/**
 * `parallelr --watch RUN_ID` (issue 14, item 4): a second shell follows a running distributed run:
 * its progress and its jobs' output lines arrive live over core NATS (secrets masked), the watch ends
 * with the run's exit code; an unknown or finished run gets a clear message.
 */
import test from 'ava';
import { spawn } from 'node:child_process';
import { mkdirSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { makeSandbox, startCli } from '../controller/parallelr/helpers.js';
import { ROOT, makeTaskFiles, recordingIo, startWorker, useNatsFleet, waitFor } from './fleet.js';
import { runDistributed } from '../../controller/nats/run-distributed.js';
import { watchRun } from '../../controller/nats/watch-run.js';

const fleet = useNatsFleet(test);
const CLI = join(ROOT, 'controller/cli/parallelr.ts');

function watcher(args: string[], env: NodeJS.ProcessEnv) {
  const child = spawn(process.execPath, ['--import', 'tsx', CLI, '--watch', ...args], { cwd: ROOT, env, stdio: ['ignore', 'pipe', 'pipe'] });
  let out = '';
  let err = '';
  child.stdout!.on('data', (d) => (out += d));
  child.stderr!.on('data', (d) => (err += d));
  const code = new Promise<number | null>((r) => child.on('close', r));
  return { out: () => out, err: () => err, code };
}

test.serial('--watch follows a running run: progress, output lines (masked), and ends with the run\'s exit code', async (t) => {
  const sb = makeSandbox();
  const env = { ...sb.env, TASKER_NATS_STATE_DIR: join(sb.dir, 'runs'), TASKER_NATS_ACK_WAIT: '2' };
  // PWD and OLDPWD name working directories (the shell's), not passwords: not masked, though *PWD* is a secret name.
  const agentCwd = join(sb.dir, 'agent-cwd');
  fleet.workers.push(await startWorker(fleet.server.url, { name: 'w1', pool: 'watch', max: 2, env: { DEPLOY_PASSWORD: 'hunter2-secret', PWD: agentCwd, OLDPWD: sb.dir } }));
  const dir = join(sb.dir, 'wtasks');
  mkdirSync(dir);
  const go = join(sb.dir, 'go');
  const body = (name: string, exit: number) =>
    `DB_TOKEN=tok-987654\nwhile [ ! -e ${go} ]; do sleep 0.05; done\nsleep 0.5\n` +
    `for i in 1 2 3; do echo "${name} line $i"; sleep 0.1; done\necho "token $DB_TOKEN pass $DEPLOY_PASSWORD"\necho "dir ${agentCwd}"\necho "${name} complains" >&2\nexit ${exit}\n`;
  writeFileSync(join(dir, 'a.sh'), body('alpha', 0));
  writeFileSync(join(dir, 'b.sh'), body('beta', 3));
  const ctl = startCli(sb, ['-T', dir, '-C', '/bin/sh @TASK@', '-r', '--nats', fleet.server.url, '--pool', 'watch'], env);
  await waitFor(() => /Distributed run (\S+):/.test(ctl.output()));
  const runId = /Distributed run (\S+):/.exec(ctl.output())![1]!;

  // No --nats: the watcher finds the servers in the run's state file.
  const w = watcher([runId], env);
  await waitFor(() => /Progress: /.test(w.out()));
  t.regex(w.out(), new RegExp(`^Watching run ${runId} via ${fleet.server.url.replace(/[.]/g, '\\.')}: 2 task files`, 'm'));
  t.regex(w.out(), /^Progress: 0\/2 done \(0 ok, 0 failed\), \d running$/m);
  writeFileSync(go, '');
  const code = await w.code;
  t.is(code, 1, 'the run had a failed task: its exit code, 1');
  const out = w.out();
  for (const name of ['alpha', 'beta']) {
    const file = name === 'alpha' ? 'a.sh' : 'b.sh';
    for (let i = 1; i <= 3; i++) t.regex(out, new RegExp(`^\\[\\d ${file}@w1\\] ${name} line ${i}$`, 'm'));
    t.regex(out, new RegExp(`^\\[\\d ${file}@w1 stderr\\] ${name} complains$`, 'm'));
  }
  t.regex(out, /token <masked len=10> pass <masked len=14>/, 'a global and an agent variable named as secrets are masked');
  t.false(out.includes('tok-987654') || out.includes('hunter2-secret'));
  t.regex(out, new RegExp(`\\] dir ${agentCwd.replace(/[.]/g, '\\.')}$`, 'm'), 'a path holding the agent\'s PWD is shown as it is');
  t.regex(out, /^Progress: 2\/2 done \(1 ok, 1 failed\), 0 running$/m);
  t.regex(out, new RegExp(`^Run ${runId} ended: exit code 1; results: \\S+results\\.jsonl$`, 'm'));
  const ctlCode = await new Promise<number | null>((r) => (ctl.exitCode !== null ? r(ctl.exitCode) : ctl.on('close', r)));
  t.is(ctlCode, 1);

  const finished = watcher([runId], env);
  t.is(await finished.code, 1);
  t.regex(finished.err(), new RegExp(`^parallelr: run ${runId} has finished; its results are in \\S+results\\.jsonl$`, 'm'));
});

test.serial('a Ctrl-C that comes while --watch connects ends the watch, not the run', async (t) => {
  const sb = makeSandbox();
  fleet.workers.push(await startWorker(fleet.server.url, { name: 'w2', pool: 'watch-int', max: 1 }));
  const go = join(sb.dir, 'go-int');
  const { files } = makeTaskFiles(1, () => `while [ ! -e ${go} ]; do sleep 0.05; done\n`);
  const runIo = recordingIo({ HOME: sb.dir, PARALLELR_HOME: join(sb.dir, 'parallelr') });
  const nats = { servers: [fleet.server.url], pool: 'watch-int', ackWaitSec: 2 };
  const run = runDistributed({ files, command: '/bin/sh @TASK@', timeoutSeconds: 60, nats, stateDir: join(sb.dir, 'runs') }, runIo);
  await waitFor(() => /Distributed run (\S+):/.test(runIo.out()));
  const runId = /Distributed run (\S+):/.exec(runIo.out())![1]!;

  const interrupted = new AbortController();
  const watchIo = recordingIo({}, interrupted.signal);
  const watching = watchRun({ runId, settings: nats, stateDir: join(sb.dir, 'runs') }, watchIo);
  interrupted.abort('SIGINT'); // watchRun is connecting now
  t.is(await watching, 130, watchIo.out() + watchIo.err());
  t.regex(watchIo.out(), new RegExp(`^Watching run ${runId} `, 'm'));

  writeFileSync(go, '');
  const r = await run;
  t.is(r.exitCode, 0, 'the run went on to its end');
  t.is(r.counts.succeeded, 1);
});

test.serial('--watch is bounded: a long line is cut, a flood is rate-bounded and the lines not shown are counted', async (t) => {
  const sb = makeSandbox();
  const env = { ...sb.env, TASKER_NATS_STATE_DIR: join(sb.dir, 'runs'), TASKER_NATS_ACK_WAIT: '2' };
  fleet.workers.push(await startWorker(fleet.server.url, { name: 'b1', pool: 'bounds', max: 1 }));
  const dir = join(sb.dir, 'btasks');
  mkdirSync(dir);
  const go = join(sb.dir, 'go');
  // It says `ready` until the watcher has shown one of its lines (so the agent knows the run is watched), then floods.
  writeFileSync(join(dir, 'flood.sh'), `while [ ! -e ${go} ]; do echo ready; sleep 0.1; done\nsleep 0.5\nhead -c 5000 /dev/zero | tr '\\0' x; echo\nseq 1 1000\nsleep 1.2\necho last line\n`);
  const ctl = startCli(sb, ['-T', dir, '-C', '/bin/sh @TASK@', '-r', '--nats', fleet.server.url, '--pool', 'bounds'], env);
  await waitFor(() => /Distributed run (\S+):/.test(ctl.output()));
  const runId = /Distributed run (\S+):/.exec(ctl.output())![1]!;
  const w = watcher([runId], env);
  await waitFor(() => w.out().includes('[1 flood.sh@b1] ready\n'));
  writeFileSync(go, '');
  t.is(await w.code, 0, w.err());
  const lines = w.out().split('\n').filter((l) => l.startsWith('[1 flood.sh@b1] '));
  const all = lines.map((l) => l.slice('[1 flood.sh@b1] '.length));
  const text = all.slice(all.lastIndexOf('ready') + 1);
  t.is(text[0], `${'x'.repeat(1000)}…`, 'a line is cut at 1000 characters');
  const numbers = text.filter((l) => /^\d+$/.test(l)).length;
  const dropped = Number(/^… (\d+) line\(s\) not shown \(rate bound\)$/m.exec(text.join('\n'))?.[1]);
  t.true(numbers + 1 <= 200, `at most 200 lines in a second: ${numbers + 1}`);
  t.is(numbers + dropped, 1000, 'every line of the flood is either shown or counted');
  t.is(text.at(-1), 'last line');
});

test.serial('--watch of an unknown run: one clear line, exit 1; a bad run id is a usage error', async (t) => {
  const sb = makeSandbox();
  const w = watcher(['20991231000000-abcdef', '--nats', fleet.server.url], sb.env);
  t.is(await w.code, 1);
  t.is(w.err(), `parallelr: no running distributed run 20991231000000-abcdef at ${fleet.server.url}: the id is unknown, or the run has finished (see parallelr --list-workers)\n`);
  const bad = watcher(['a.b', '--nats', fleet.server.url], sb.env);
  t.is(await bad.code, 2);
  t.regex(bad.err(), /--watch: `a\.b` is not a run id/);
});

test.serial('--watch works within the roles of deploy/nats-server.conf (controller/watcher user, agent user)', async (t) => {
  const { readFileSync } = await import('node:fs');
  const { startNatsServer } = await import('../helpers/nats-server.js');
  const { writeUserConfig } = await import('../controller/parallelr/helpers.js');
  const sb = makeSandbox();
  const conf = join(sb.dir, 'nats-server.conf');
  writeFileSync(conf, readFileSync(join(ROOT, 'deploy/nats-server.conf'), 'utf8').replace(/^http: .*$/m, '').replace(/store_dir: .*/, ''));
  writeFileSync(join(sb.dir, 'nats-auth.conf'), readFileSync(join(ROOT, 'deploy/nats-auth.conf'), 'utf8'));
  const server = await startNatsServer({ args: ['-c', conf] });
  const go = join(sb.dir, 'go');
  let ctl: ReturnType<typeof startCli> | undefined;
  try {
    writeUserConfig(sb, 'nats:\n  user: parallelr\n  pass: CHANGE-ME-controller\n');
    const env = { ...sb.env, TASKER_NATS_STATE_DIR: join(sb.dir, 'runs'), TASKER_NATS_ACK_WAIT: '2' };
    const dir = join(sb.dir, 'dtasks');
    mkdirSync(dir);
    writeFileSync(join(dir, 'a.sh'), `while [ ! -e ${go} ]; do sleep 0.05; done\nsleep 0.5\necho "allowed line"\n`);
    ctl = startCli(sb, ['-T', dir, '-C', '/bin/sh @TASK@', '-r', '--nats', server.url, '--pool', 'deploywatch'], env);
    await waitFor(() => /Distributed run (\S+):/.test(ctl!.output()));
    const runId = /Distributed run (\S+):/.exec(ctl.output())![1]!;
    // The agent role may not create the streams: the controller's run makes them, then the agent starts.
    const agentConfig = join(sb.dir, 'agent.yaml');
    writeFileSync(agentConfig, 'nats:\n  user: agent\n  pass: CHANGE-ME-agent\n');
    const agent = await startWorker(server.url, { name: 'dw1', pool: 'deploywatch', max: 1, config: agentConfig, workdir: join(sb.dir, 'agent-work') });
    fleet.workers.push(agent);
    const w = watcher([runId, '--nats', server.url], env);
    let exited = false;
    void w.code.then(() => (exited = true));
    await waitFor(() => /Progress: /.test(w.out()) || exited);
    t.regex(w.out(), /Progress: /, w.err());
    writeFileSync(go, '');
    t.is(await w.code, 0, w.err());
    t.regex(w.out(), /^\[1 a\.sh@dw1\] allowed line$/m);
    t.regex(w.out(), new RegExp(`^Run ${runId} ended: exit code 0;`, 'm'));
    t.notRegex(agent.log(), /[Pp]ermissions? [Vv]iolation/);
  } finally {
    writeFileSync(go, '');
    if (ctl && ctl.exitCode === null) ctl.kill('SIGKILL');
    await server.dispose();
  }
});
