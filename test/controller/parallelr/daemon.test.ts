import test from 'ava';
import { spawn } from 'node:child_process';
import { existsSync, mkdirSync, readdirSync, readFileSync, readlinkSync } from 'node:fs';
import { join } from 'node:path';
import { run } from '../../../controller/parallelr/cli.js';
import { processStartTime, WorkerRegistry } from '../../../controller/parallelr/registry.js';
import { alive, fakeIo, LONG_TASK, makeSandbox, readJsonl, recordedPids, runCli, waitFor, writeFiles, writeUserConfig } from './helpers.js';

function sessionOf(pid: number): number {
  const stat = readFileSync(`/proc/${pid}/stat`, 'utf8');
  return Number(stat.slice(stat.lastIndexOf(')') + 2).split(' ')[3]);
}

function registryPids(state: string): number[] {
  const dir = join(state, 'pids');
  if (!existsSync(dir)) return [];
  return readdirSync(dir).filter((n) => /^\d+\.json$/.test(n)).map((n) => Number(n.slice(0, -5))).sort();
}

test('daemon: start two, list, kill one, kill all; nothing is left running', async (t) => {
  const sb = makeSandbox();
  for (const d of ['jobs1', 'jobs2']) {
    mkdirSync(join(sb.dir, d));
    writeFiles(join(sb.dir, d), { 'a.sh': LONG_TASK, 'b.sh': LONG_TASK, 'c.sh': LONG_TASK });
  }
  // Relative -T: the daemon keeps the working directory (the peer's chdir to / broke this).
  const started = [];
  for (const d of ['jobs1', 'jobs2']) {
    const r = await runCli(sb, ['-T', d, '--file-extension', 'sh', '-C', 'sh @TASK@', '-r', '-d', '-m', '2']);
    t.is(r.code, 0, r.output);
    const pid = Number(/Started parallelr daemon, PID (\d+)/.exec(r.output)![1]);
    t.regex(r.output, /Results: .+_results\.jsonl/);
    started.push({ pid, dir: join(sb.dir, d), results: /Results: (.+)/.exec(r.output)![1]! });
  }
  const [one, two] = started as [(typeof started)[0], (typeof started)[0]];
  t.true(alive(one.pid) && alive(two.pid), 'the daemons outlive their launchers');
  for (const d of [one, two]) {
    t.is(sessionOf(d.pid), d.pid, 'each daemon leads its own session: no controlling terminal, no SIGHUP at logout');
    t.is(readlinkSync(`/proc/${d.pid}/cwd`), sb.dir, 'the daemon kept the working directory');
  }
  t.deepEqual(registryPids(sb.state), [one.pid, two.pid].sort());
  await waitFor(() => recordedPids(one.dir).length === 4 && recordedPids(two.dir).length === 4, 20_000, 'two tasks running in each daemon');

  const list = await runCli(sb, ['--list-workers']);
  t.is(list.code, 0);
  t.regex(list.output, /^PID\s+STATUS\s+MODE\s+STARTED\s+PROGRESS\s+LOG$/m);
  t.regex(list.output, new RegExp(`^${one.pid}\\s+running\\s+daemon\\s+\\S+ \\S+\\s+0/3\\s+\\S+parallelr_${one.pid}_\\S+\\.log$`, 'm'));
  t.regex(list.output, new RegExp(`^${two.pid}\\s+running\\s+daemon`, 'm'));

  const killOne = await runCli(sb, ['-k', String(one.pid)]);
  t.is(killOne.code, 0, killOne.output);
  t.regex(killOne.output, new RegExp(`Stopped worker ${one.pid} \\(SIGTERM\\)\\.`));
  t.false(alive(one.pid));
  t.deepEqual(recordedPids(one.dir).filter(alive), [], "the first daemon's task groups are gone");
  t.true(alive(two.pid), 'the other daemon is untouched');
  t.deepEqual(registryPids(sb.state), [two.pid]);
  const records = readJsonl(one.results);
  t.deepEqual(records.map((r) => r.status), ['CANCELLED', 'CANCELLED', 'CANCELLED'], 'the killed daemon recorded every task');

  const unconfirmed = await runCli(sb, ['-k']);
  t.is(unconfirmed.code, 1);
  t.regex(unconfirmed.output, /not confirmed .* add -y/);
  t.true(alive(two.pid));

  const killAll = await runCli(sb, ['-k', '-y']);
  t.is(killAll.code, 0, killAll.output);
  t.regex(killAll.output, new RegExp(`Stopped worker ${two.pid}`));
  t.false(alive(two.pid));
  t.deepEqual([...recordedPids(one.dir), ...recordedPids(two.dir)].filter(alive), [], 'no process of either run is left');
  t.deepEqual(registryPids(sb.state), []);
  t.regex((await runCli(sb, ['--list-workers'])).output, /No parallelr workers are running\./);
});

test('-k escalates to SIGKILL for a manager that ignores SIGTERM, and kills its task groups too', async (t) => {
  const sb = makeSandbox();
  writeUserConfig(sb, 'execution:\n  kill_grace_seconds: 0\n');
  // A stand-in manager: ignores SIGTERM and has a task in its own process group (as parallelr's tasks are).
  const manager = spawn('sh', ['-c', 'trap "" TERM; setsid sleep 100 & echo $!; wait'], { stdio: ['ignore', 'pipe', 'ignore'] });
  const task = Number(await new Promise<string>((r) => manager.stdout!.once('data', (c: Buffer) => r(c.toString().trim()))));
  const registry = new WorkerRegistry(join(sb.state, 'pids'));
  registry.write({
    pid: manager.pid!, proc_start: processStartTime(manager.pid!), session_id: 'stand-in', status: 'running', daemon: true,
    start_time: new Date().toISOString(), cwd: sb.dir, command_template: 'x', total: 1, done: 0, failed: 0, main_log: null, results: null, updated: '',
  });
  const exited = new Promise((r) => manager.on('exit', r));
  const io = fakeIo(sb);
  t.is(await run(['-k', String(manager.pid)], io), 0, io.err());
  t.regex(io.out(), new RegExp(`Killed worker ${manager.pid} and its task process groups \\(SIGKILL after 3s\\)`));
  await exited;
  // SIGKILL was sent before -k returned; give the kernel a moment to tear the process down.
  await t.notThrowsAsync(waitFor(() => !alive(task), 5000, 'the task to die'), 'the task group did not survive its manager');
  t.deepEqual(registryPids(sb.state), []);
});

test('-k PID refuses a PID that is not a registered parallelr', async (t) => {
  const sb = makeSandbox();
  const io = fakeIo(sb);
  t.is(await run(['-k', String(process.pid)], io), 1);
  t.regex(io.err(), new RegExp(`PID ${process.pid} is not a running parallelr worker`));
  t.true(alive(process.pid));
});

test('two runs at once keep separate registry entries and separate records', async (t) => {
  const sb = makeSandbox();
  for (const d of ['left', 'right']) {
    mkdirSync(join(sb.dir, d));
    writeFiles(join(sb.dir, d), { '1.sh': 'sleep 0.5\n', '2.sh': 'sleep 0.5\n', '3.sh': 'sleep 0.5\n' });
  }
  const runs = ['left', 'right'].map((d) => runCli(sb, ['-T', d, '-C', 'sh @TASK@', '-r', '-m', '1']));
  const both = await waitFor(() => (registryPids(sb.state).length === 2 ? registryPids(sb.state) : undefined), 20_000, 'both runs registered');
  const registry = new WorkerRegistry(join(sb.state, 'pids'));
  const entries = both.map((p) => registry.read(p)!);
  t.not(entries[0]!.results, entries[1]!.results);
  t.not(entries[0]!.session_id, entries[1]!.session_id);
  const [l, r] = await Promise.all(runs);
  t.is(l.code, 0, l.output);
  t.is(r.code, 0, r.output);
  for (const [res, dir] of [[l, 'left'], [r, 'right']] as const) {
    const records = readJsonl(/Results: (.+)/.exec(res.output)![1]!);
    t.deepEqual(records.map((x) => x.task_file), ['1.sh', '2.sh', '3.sh'].map((f) => `${dir}/${f}`));
    t.is(new Set(records.map((x) => x.session_id)).size, 1);
  }
  t.deepEqual(registryPids(sb.state), []);
});
