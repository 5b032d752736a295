// Built bin: signals to the tasker process, survivors of killed process groups, 50 processes at once, the process's own memory.
import test from 'ava';
import { readFileSync, readdirSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { setTimeout as delay } from 'node:timers/promises';
import { processesWith, spawnTasker, tempDir } from '../helpers/run-cli.js';

test('a timeout kills the whole process tree and keeps the partial output', async (t) => {
  const dir = tempDir();
  // Unique sleep lengths let us look for survivors by command line.
  writeFileSync(join(dir, 'f.txt'), 'task=0\nhostname=localhost\nexec=local\ncommand=sh\narguments=-c "echo started; sleep 9871 & sleep 9872"\ntimeout=5\n');
  const r = await spawnTasker(['-r', 'f.txt', '-l', join(dir, 'logs'), '--output-json', 'o.json'], { cwd: dir });
  t.is(r.code, 10, 'an unrouted timeout is a task failure');
  const json = JSON.parse(readFileSync(join(dir, 'o.json'), 'utf8')) as { task_results: Record<string, { exit_code: number; stdout: string; stderr: string; timed_out: boolean }>; execution_summary: { timeouts: number } };
  const r0 = json.task_results['0']!;
  t.is(r0.exit_code, 124);
  t.true(r0.timed_out);
  t.is(r0.stdout, 'started\n');
  t.regex(r0.stderr, /killed after timeout of 5/);
  t.is(json.execution_summary.timeouts, 1);
  t.deepEqual(await processesWith('sleep 9871'), []);
  t.deepEqual(await processesWith('sleep 9872'), []);
});

for (const [signal, code] of [['SIGINT', 130], ['SIGTERM', 143]] as const) {
  test(`${signal} mid-run kills the running task's group and still writes log, summary and JSON (exit ${code})`, async (t) => {
    const dir = tempDir();
    const marker = signal === 'SIGINT' ? 'sleep 9881' : 'sleep 9882';
    writeFileSync(join(dir, 'f.txt'), `task=0\nhostname=localhost\nexec=local\ncommand=echo\narguments=first\n\ntask=1\nhostname=localhost\nexec=local\ncommand=sh\narguments=-c "${marker} & ${marker}"\ntimeout=600\n\ntask=2\nhostname=localhost\nexec=local\ncommand=echo\narguments=never\n`);
    let sent = false;
    const r = await spawnTasker(['-r', 'f.txt', '-l', join(dir, 'base'), '-p', 'p', '--output-json', 'o.json'], {
      cwd: dir,
      onStdout: (out, pid) => {
        if (!sent && out.includes('Task 1: Executing')) {
          sent = true;
          void delay(300).then(() => {
            try {
              if (readFileSync(`/proc/${pid}/cmdline`, 'utf8').includes('tasker.js')) process.kill(pid, signal);
            } catch {
              /* already gone: the test then fails on the exit code */
            }
          });
        }
      },
    });
    t.is(r.code, code, r.stdout + r.stderr);
    t.deepEqual(await processesWith(marker), []);
    const json = JSON.parse(readFileSync(join(dir, 'o.json'), 'utf8')) as { workflow_metadata: { status: string; exit_code: number }; execution_summary: { execution_path: number[] }; warnings: string[] };
    t.is(json.workflow_metadata.status, 'failed');
    t.true(json.warnings.some((w) => w.startsWith(`Interrupted by ${signal} during task 1;`)), json.warnings.join('\n'));
    t.is(json.workflow_metadata.exit_code, code);
    t.deepEqual(json.execution_summary.execution_path, [0, 1], 'task 2 never ran');
    const summary = readFileSync(join(dir, 'base', 'logs', 'project_p_summary.log'), 'utf8');
    t.regex(summary, new RegExp(`\\t${code}\\tFAILURE\\t`));
    const log = readdirSync(join(dir, 'base', 'logs')).find((f) => f.startsWith('f_'))!;
    t.regex(readFileSync(join(dir, 'base', 'logs', log), 'utf8'), new RegExp(`Interrupted by ${signal}`));
  });
}

/** A block task `head` over `count` sub-tasks 100.. whose lines are `sub(id)`. */
function blockFile(sub: (id: number) => string, count: number, head: string): string {
  const ids = Array.from({ length: count }, (_, i) => 100 + i);
  return `${head}tasks=${ids.join(',')}\n\n${ids.map((id) => `task=${id}\nhostname=localhost\nexec=local\n${sub(id)}\n`).join('\n')}`;
}

test("a block's master timeout kills every running sub-task's process group", async (t) => {
  const dir = tempDir();
  writeFileSync(join(dir, 'f.txt'), blockFile((id) => `command=sh\narguments=-c "sleep 97${id} & sleep 97${id}"\ntimeout=600`, 4, 'task=0\ntype=parallel\ntimeout=5\nmax_parallel=4\n'));
  const r = await spawnTasker(['-r', 'f.txt', '-l', join(dir, 'logs'), '--output-json', 'o.json'], { cwd: dir });
  t.is(r.code, 10, 'the block failed and nothing routed it');
  t.regex(r.stdout, /master timeout of 5 s expired/);
  for (const id of [100, 101, 102, 103]) t.deepEqual(await processesWith(`sleep 97${id}`), [], `no survivor of sub-task ${id}`);
  const json = JSON.parse(readFileSync(join(dir, 'o.json'), 'utf8')) as { task_results: Record<string, { success: boolean }> };
  t.false(json.task_results['0']!.success);
});

test('50 concurrent runs append to one project summary without tearing a line', async (t) => {
  const dir = tempDir();
  writeFileSync(join(dir, 'f.txt'), 'task=0\nhostname=localhost\nexec=local\ncommand=echo\narguments=x\n');
  const runs = await Promise.all(Array.from({ length: 50 }, () => spawnTasker(['-r', 'f.txt', '-l', join(dir, 'base'), '-p', 'shared'], { cwd: dir })));
  t.true(runs.every((r) => r.code === 0));
  const lines = readFileSync(join(dir, 'base', 'logs', 'project_shared_summary.log'), 'utf8').split('\n').filter(Boolean);
  t.is(lines.filter((l) => l.startsWith('#Timestamp')).length, 1, 'exactly one header');
  t.is(lines[0]!.startsWith('#Timestamp'), true, 'the header comes first');
  const rows = lines.slice(1);
  t.is(rows.length, 50);
  for (const row of rows) t.is(row.split('\t').length, 8, row);
  t.is(new Set(rows.map((r) => r.split('\t')[7])).size, 50, 'every run names its own log file');
});

test('a task printing 1 GB completes with bounded memory; the log holds the whole stream', async (t) => {
  const dir = tempDir();
  writeFileSync(join(dir, 'f.txt'), 'task=0\nhostname=localhost\nexec=local\ncommand=head\narguments=-c 1000000000 /dev/zero\ntimeout=600\n');
  let peakKb = 0;
  let pid = 0;
  const poll = setInterval(() => {
    if (!pid) return;
    try {
      const m = /VmRSS:\s+(\d+)/.exec(readFileSync(`/proc/${pid}/status`, 'utf8'));
      if (m) peakKb = Math.max(peakKb, Number(m[1]));
    } catch {
      /* exited */
    }
  }, 50);
  const r = await spawnTasker(['-r', 'f.txt', '-l', join(dir, 'base'), '--output-json', 'o.json'], { cwd: dir, onStdout: (_o, p) => (pid = p) });
  clearInterval(poll);
  t.is(r.code, 0);
  t.true(peakKb > 0, 'memory was sampled');
  t.true(peakKb < 300 * 1024, `peak RSS ${peakKb} kB stays under 300 MB`);
  const json = JSON.parse(readFileSync(join(dir, 'o.json'), 'utf8')) as { task_results: Record<string, { stdout: string }> };
  t.is(json.task_results['0']!.stdout.length, 100 * 1024, 'the captured variable keeps the first 100 KiB');
  const { statSync, rmSync } = await import('node:fs');
  const log = readdirSync(join(dir, 'base', 'logs'))[0]!;
  t.true(statSync(join(dir, 'base', 'logs', log)).size > 1_000_000_000, 'the full stream is in the log');
  rmSync(dir, { recursive: true, force: true });
});
