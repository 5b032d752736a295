// Built bin: one test runs tasker-agent as another user (setpriv), as an operator starts it.
/**
 * Where a NATS agent makes its job workspaces (agent/nats/workspaces.ts): one workdir per user by
 * default, checked at start (an agent that cannot make a workspace must not start and then fail
 * every job), made again when something removes it while the agent runs, and, when no workspace can
 * be made mid-run, the job goes back unclaimed and runs on another agent.
 */
import test from 'ava';
import { spawn } from 'node:child_process';
import { chmodSync, chownSync, existsSync, mkdirSync, mkdtempSync, readdirSync, readFileSync, rmSync, statSync, symlinkSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { SetupError } from '../../shared/errors/index.js';
import { SlotWorkspace, defaultWorkdir, prepareWorkdir } from '../../agent/nats/workspaces.js';
import { runDistributed } from '../../controller/nats/run-distributed.js';
import { runAgentCli } from '../helpers/agent-process.js';
import { ROOT, makeTaskFiles, recordingIo, startWorker, useNatsFleet, waitFor, type WorkerProcess } from './fleet.js';

const fleet = useNatsFleet(test);
const AGENT_BIN = join(ROOT, 'dist/agent/cli/tasker-agent.cjs');
const NOBODY = 65534;

const scratch = () => mkdtempSync(join(tmpdir(), 'tasker-workdir-'));

test('the default workdir is this user\'s own in the temporary directory', (t) => {
  t.is(defaultWorkdir(), join(tmpdir(), `tasker-nats-${process.getuid!()}`));
});

test('a workdir is refused when it is another user\'s, a symbolic link or a file; its own is closed to others', (t) => {
  if (process.getuid?.() !== 0) return t.fail('needs root (to make a directory of another user); run the tests as root (CI does)');
  const dir = scratch();
  const theirs = join(dir, 'theirs');
  mkdirSync(theirs, { mode: 0o700 });
  chownSync(theirs, NOBODY, NOBODY);
  const refused = (path: string) => t.throws(() => prepareWorkdir(path), { instanceOf: SetupError })!.message;
  t.is(refused(theirs), `cannot keep job workspaces in ${theirs}: it belongs to uid ${NOBODY}, not to this agent's user (uid 0): another user made it; choose another with --workdir DIR (or agent.workdir in --config)`);
  mkdirSync(join(dir, 'target'));
  symlinkSync(join(dir, 'target'), join(dir, 'link'));
  t.regex(refused(join(dir, 'link')), /: it is a symbolic link \(another user could point it anywhere\);/);
  writeFileSync(join(dir, 'file'), '');
  t.is(refused(join(dir, 'file')), `cannot keep job workspaces in ${join(dir, 'file')}: ENOTDIR: not a directory, '${join(dir, 'file')}'; choose another with --workdir DIR (or agent.workdir in --config)`);

  const mine = join(dir, 'mine');
  mkdirSync(mine);
  chmodSync(mine, 0o777);
  prepareWorkdir(mine);
  t.is(statSync(mine).mode & 0o777, 0o700);
  t.deepEqual(readdirSync(mine), [], 'the probe workspace is removed');
  prepareWorkdir(join(dir, 'new', 'deeper'));
  t.is(statSync(join(dir, 'new', 'deeper')).mode & 0o777, 0o700);
});

test('a workdir removed while the agent runs (a cleaner of /tmp) is made again for the next job', (t) => {
  const workdir = join(scratch(), 'work');
  prepareWorkdir(workdir);
  const ws = new SlotWorkspace(workdir, 1);
  const first = ws.writeTaskFile('a.txt', Buffer.from('x'));
  rmSync(workdir, { recursive: true, force: true });
  ws.clean('a.txt'); // its workspace is gone: the next job gets a fresh one
  const second = ws.writeTaskFile('b.txt', Buffer.from('y'));
  t.not(first, second);
  t.true(existsSync(second));
  t.is(statSync(workdir).mode & 0o777, 0o700);
});

test('tasker-agent serve --workdir on a directory it cannot use exits at once, saying why, before it takes any job', async (t) => {
  if (process.getuid?.() !== 0) return t.fail('needs root (to make a directory of another user); run the tests as root (CI does)');
  const theirs = join(scratch(), 'theirs');
  mkdirSync(theirs, { mode: 0o700 });
  chownSync(theirs, NOBODY, NOBODY);
  const r = await runAgentCli(['serve', '--nats', fleet.server.url, '--pool', 'refused', '--workdir', theirs]);
  t.is(r.code, 1, r.stderr);
  t.is(r.stdout, '', 'never "taking jobs"');
  t.is(r.stderr, `tasker-agent serve: cannot keep job workspaces in ${theirs}: it belongs to uid ${NOBODY}, not to this agent's user (uid 0): another user made it; choose another with --workdir DIR (or agent.workdir in --config)\n`);
});

test('agent.workdir in the config is used; an unknown key of the agent section is named with its place', async (t) => {
  const dir = scratch();
  const workdir = join(dir, 'from-config');
  const config = join(dir, 'agent.yaml');
  writeFileSync(config, `agent:\n  workdir: ${workdir}\n  drain_timout: 5\n`);
  const agent = spawn(process.execPath, ['--import', 'tsx', join(ROOT, 'agent/cli/tasker-agent.ts'), 'serve', '--config', config, '--nats', fleet.server.url, '--pool', 'cfg'], { stdio: ['ignore', 'pipe', 'pipe'] });
  t.teardown(() => agent.kill('SIGKILL'));
  let out = '';
  let err = '';
  agent.stdout.on('data', (d: Buffer) => (out += d));
  agent.stderr.on('data', (d: Buffer) => (err += d));
  await waitFor(() => out.includes('taking jobs from NATS') || agent.exitCode !== null);
  t.true(out.includes('taking jobs from NATS'), err);
  t.true(err.startsWith(`tasker-agent serve: ${config}:3:3: warning[CONFIG_UNKNOWN_KEY] unknown key agent.drain_timout is ignored; did you mean 'drain_timeout'?\n`), err);
  t.is(statSync(workdir).mode & 0o777, 0o700);
});

test.serial('an agent that cannot make a workspace mid-run hands its jobs back unclaimed: they run on another agent, none fails', async (t) => {
  const dir = scratch();
  const broken = join(dir, 'broken');
  const workers: WorkerProcess[] = [];
  t.teardown(async () => {
    for (const w of workers) await w.kill9();
  });
  workers.push(await startWorker(fleet.server.url, { name: 'ws-broken', pool: 'workspace', max: 2, workdir: broken }));
  // Its workdir becomes a file after the start check: no workspace can be made there now.
  rmSync(broken, { recursive: true, force: true });
  writeFileSync(broken, '');
  const home = join(dir, 'home');
  const { files } = makeTaskFiles(6, (i) => `#!/bin/sh\necho ${i}\n`);
  const io = recordingIo({ HOME: home, PARALLELR_HOME: join(home, 'parallelr') });
  const run = runDistributed({ files, command: 'sh @TASK@', timeoutSeconds: 30, nats: { servers: [fleet.server.url], pool: 'workspace', ackWaitSec: 5 }, stateDir: join(home, 'runs') }, io);
  const said = () => workers[0]!.log().split('\n').filter((l) => l.includes('cannot make a job workspace'));
  await waitFor(() => said().length > 0);
  // The broken agent has been handing jobs back; now one that can run them comes.
  workers.push(await startWorker(fleet.server.url, { name: 'ws-good', pool: 'workspace', max: 2, workdir: join(dir, 'good') }));
  const r = await run;
  t.is(r.exitCode, 0, io.err());
  t.is(r.counts.succeeded, 6);
  t.deepEqual([...new Set(r.records.map((rec) => rec.agent))], ['ws-good']);
  t.true(r.records.every((rec) => rec.runs === undefined), 'a job handed back unclaimed counts no earlier run');
  t.is(said().length, 1, 'said once a minute, not once per job handed back');
  t.regex(said()[0]!, /"error":"ENOTDIR: not a directory, mkdtemp '[^']+broken\/job-slot\d-p\d+-XXXXXX'"/);
  t.regex(said()[0]!, /"workdir":"[^"]+broken"/);
});

test.serial('agents of two users on one host, each with its default workdir, both run jobs', async (t) => {
  if (process.getuid?.() !== 0) return t.fail('needs root: the second agent runs as nobody (setpriv); run the tests as root (CI does)');
  // A temporary directory both may use, as /tmp is.
  const shared = scratch();
  chmodSync(shared, 0o1777);
  const agentAs = (uid: number, name: string) => {
    const argv = [AGENT_BIN, 'serve', '--nats', fleet.server.url, '--pool', 'two-users', '--max', '1', '--log-level', 'warn'];
    const child = uid === 0 ? spawn(process.execPath, argv, { env: { ...process.env, TMPDIR: shared } }) : spawn('setpriv', [`--reuid=${uid}`, `--regid=${uid}`, '--clear-groups', process.execPath, ...argv], { env: { PATH: process.env['PATH'], HOME: shared, TMPDIR: shared } });
    t.teardown(() => child.kill('SIGKILL'));
    let out = '';
    child.stdout!.on('data', (d: Buffer) => (out += d));
    return { name, child, ready: () => out.includes('taking jobs from NATS') };
  };
  const root = agentAs(0, 'root');
  const nobody = agentAs(NOBODY, 'nobody');
  await waitFor(() => (root.ready() && nobody.ready()) || root.child.exitCode !== null || nobody.child.exitCode !== null);
  t.true(root.ready() && nobody.ready(), 'both agents started');
  t.deepEqual(readdirSync(shared).filter((n) => n.startsWith('tasker-nats')).sort(), ['tasker-nats-0', `tasker-nats-${NOBODY}`]);

  const home = join(shared, 'controller');
  // Files that take a moment, so both agents get some; each says which user ran it.
  const ranBy = join(shared, 'ran-by');
  mkdirSync(ranBy, { mode: 0o1777 });
  chmodSync(ranBy, 0o1777);
  const { files } = makeTaskFiles(8, () => `#!/bin/sh\nsleep 0.3\nid -u > ${ranBy}/$(basename "$0")\n`);
  const io = recordingIo({ HOME: home, PARALLELR_HOME: join(home, 'parallelr') });
  const r = await runDistributed({ files, command: 'sh @TASK@', timeoutSeconds: 30, nats: { servers: [fleet.server.url], pool: 'two-users', ackWaitSec: 5 }, stateDir: join(home, 'runs') }, io);
  t.is(r.exitCode, 0, io.err());
  t.is(r.counts.succeeded, 8, JSON.stringify(r.records.filter((rec) => rec.status !== 'SUCCESS')));
  const uids = readdirSync(ranBy).map((n) => readFileSync(join(ranBy, n), 'utf8').trim());
  t.is(uids.length, 8);
  t.deepEqual([...new Set(uids)].sort(), ['0', String(NOBODY)], 'jobs ran as both users');
});
