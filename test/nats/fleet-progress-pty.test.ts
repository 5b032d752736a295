/** The built bins end to end: the bundled agent copied alone (no node_modules) and parallelr --nats on an 80-column pty. */
import test from 'ava';
import { spawn, spawnSync } from 'node:child_process';
import { copyFileSync, cpSync, mkdirSync, mkdtempSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { startNatsServer } from '../helpers/nats-server.js';
import { ROOT, waitFor } from './fleet.js';

test('the bundled agent runs from a directory of its own; the fleet progress line fits 80 columns', async (t) => {
  const server = await startNatsServer();
  const home = mkdtempSync(join(tmpdir(), 'tasker-fleet-pty-'));
  // What an SSH install ships: the bundle, proto/ and package.json, nothing from node_modules.
  const app = join(home, 'app');
  mkdirSync(join(app, 'dist', 'agent', 'cli'), { recursive: true });
  copyFileSync(join(ROOT, 'dist', 'agent', 'cli', 'tasker-agent.cjs'), join(app, 'dist', 'agent', 'cli', 'tasker-agent.cjs'));
  copyFileSync(join(ROOT, 'package.json'), join(app, 'package.json'));
  cpSync(join(ROOT, 'proto'), join(app, 'proto'), { recursive: true });
  const tasks = join(home, 'tasks');
  mkdirSync(tasks);
  for (let i = 1; i <= 8; i++) writeFileSync(join(tasks, `a-task-file-with-a-long-name-${i}.sh`), 'sleep 0.3\n');
  const env = { ...process.env, HOME: home, PARALLELR_HOME: join(home, 'parallelr'), TASKER_NATS_STATE_DIR: join(home, 'runs') };
  const agents = [
    spawn(process.execPath, [join(app, 'dist', 'agent', 'cli', 'tasker-agent.cjs'), 'serve', '--nats', server.url, '--pool', 'pty', '--max', '2'], {
      cwd: app, env, stdio: ['ignore', 'ignore', 'pipe'],
    }),
  ];
  try {
    const logs = agents.map((a) => {
      const log = { text: '' };
      a.stderr!.on('data', (d) => (log.text += d));
      return log;
    });
    await waitFor(() => logs.every((l) => /nats worker started/.test(l.text)) || agents.some((a) => a.exitCode !== null));
    t.true(agents.every((a) => a.exitCode === null), logs.map((l) => l.text).join('\n'));
    const r = spawnSync('python3', [join(ROOT, 'test/helpers/pty-run.py'), join(ROOT, 'dist/controller/cli/parallelr.cjs'), '-T', tasks, '-C', '/bin/sh @TASK@', '-r', '--nats', server.url, '--pool', 'pty'], {
      cwd: home, env: { ...env, COLUMNS: '' }, encoding: 'utf8',
    });
    t.is(r.status, 0, r.stdout + r.stderr);
    const text = r.stdout.replace('\0RESIZED\0', '');
    const lines = (s: string) => s.split('\r\x1b[2K').slice(1).map((l) => l.split(/[\r\n]/)[0]!).filter(Boolean);
    const drawn = lines(text);
    const afterResize = lines(r.stdout.split('\0RESIZED\0')[1] ?? '');
    t.true(drawn.length > 0, text);
    for (const l of drawn) t.true(l.length <= 79, `${l.length} columns: ${JSON.stringify(l)}`);
    t.true(drawn.some((l) => /\| agents: \S+ \d/.test(l)), 'at 80 columns the agents show');
    t.regex(drawn.at(-1)!, /^(\[#+\] )?8\/8 ok 8 failed 0 running 0 /);
    // pty-run.py narrows the terminal to 50 columns after a few redraws: what is drawn then fits that.
    for (const l of afterResize.slice(1)) t.true(l.length <= 49, `after the resize: ${JSON.stringify(l)}`);
    t.regex(text, /Agents:\r?\n- \S+: 8 tasks, 8 ok, 0 failed/);
  } finally {
    for (const a of agents) if (a.exitCode === null) a.kill('SIGTERM');
    await Promise.all(agents.map((a) => (a.exitCode === null ? new Promise((r) => a.once('exit', r)) : undefined)));
    await server.dispose();
  }
});
