import test from 'ava';
import { readFileSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { tempDir } from '../../helpers/run-cli.js';
import { runTaskerInProcess } from '../../helpers/tasker.js';

interface Json {
  workflow_metadata: { status: string };
  execution_summary: { execution_path: number[] };
  task_results: Record<string, { exit_code: number; success: boolean; stdout: string; timed_out: boolean }>;
}

function blockFile(sub: (id: number) => string, count: number, head: string): string {
  const ids = Array.from({ length: count }, (_, i) => 100 + i);
  return `${head}tasks=${ids.join(',')}\n\n${ids.map((id) => `task=${id}\nhostname=localhost\nexec=local\n${sub(id)}\n`).join('\n')}`;
}

test('a parallel block of 50 sub-tasks with max_parallel=10 never has more than 10 running at once', async (t) => {
  const dir = tempDir();
  // Each sub-task records its start and end in a shared log; concurrency is computed from the events.
  writeFileSync(join(dir, 'probe.sh'), '#!/bin/sh\necho "start $1" >> "$2"\nsleep 0.2\necho "end $1" >> "$2"\n');
  const events = join(dir, 'events');
  writeFileSync(join(dir, 'f.txt'), blockFile((id) => `command=sh\narguments=${join(dir, 'probe.sh')} ${id} ${events}`, 50, 'task=0\ntype=parallel\nmax_parallel=10\n'));
  const r = await runTaskerInProcess(['-r', 'f.txt', '-l', join(dir, 'logs'), '--output-json', 'o.json'], { cwd: dir });
  t.is(r.code, 0, r.stdout);
  const lines = readFileSync(events, 'utf8').trim().split('\n');
  t.is(lines.length, 100);
  let running = 0;
  let peak = 0;
  for (const l of lines) {
    running += l.startsWith('start') ? 1 : -1;
    peak = Math.max(peak, running);
  }
  t.true(peak <= 10, `peak concurrency ${peak}`);
  t.true(peak >= 2, 'sub-tasks did run concurrently');
  const json = JSON.parse(readFileSync(join(dir, 'o.json'), 'utf8')) as Json;
  t.is(Object.keys(json.task_results).filter((k) => k.startsWith('0-')).length, 50);
});

test('block success rules and routing: min_success=2 with one failure goes on_success', async (t) => {
  const dir = tempDir();
  writeFileSync(join(dir, 'f.txt'), 'task=0\ntype=parallel\ntasks=10,11,12\nsuccess=min_success=2\non_success=2\non_failure=3\n\ntask=10\nhostname=localhost\nexec=local\ncommand=true\n\ntask=11\nhostname=localhost\nexec=local\ncommand=false\n\ntask=12\nhostname=localhost\nexec=local\ncommand=true\n\ntask=2\nhostname=localhost\nexec=local\ncommand=echo\narguments=ok\nnext=never\n\ntask=3\nhostname=localhost\nexec=local\ncommand=echo\narguments=bad\nreturn=1\n');
  const r = await runTaskerInProcess(['-r', 'f.txt', '-l', join(dir, 'logs'), '--output-json', 'o.json'], { cwd: dir });
  t.is(r.code, 0, r.stdout + r.stderr);
  const json = JSON.parse(readFileSync(join(dir, 'o.json'), 'utf8')) as Json;
  t.deepEqual(json.execution_summary.execution_path, [0, 2]);
  t.is(json.task_results['0']!.stdout, 'Parallel execution: 2/3 successful, 1 failed');
  t.false(json.task_results['0-11']!.success);
});

test('retries re-run only failed sub-tasks, shown as P-C.k', async (t) => {
  const dir = tempDir();
  // Fails twice, then succeeds (state in a file).
  writeFileSync(join(dir, 'flaky.sh'), `#!/bin/sh\nn=$(cat "${dir}/n" 2>/dev/null || echo 0); n=$((n+1)); echo $n > "${dir}/n"; [ $n -ge 3 ]\n`);
  writeFileSync(join(dir, 'f.txt'), `task=0\ntype=parallel\ntasks=10,11\nretry_count=3\nretry_delay=0\n\ntask=10\nhostname=localhost\nexec=local\ncommand=sh\narguments=${join(dir, 'flaky.sh')}\n\ntask=11\nhostname=localhost\nexec=local\ncommand=true\n`);
  const r = await runTaskerInProcess(['-r', 'f.txt', '-l', join(dir, 'logs')], { cwd: dir });
  t.is(r.code, 0, r.stdout);
  t.regex(r.stdout, /Task 0-10\.3: Executing/);
  t.notRegex(r.stdout, /Task 0-10\.4: Executing/);
  t.notRegex(r.stdout, /Task 0-11\.2: Executing/);
  t.regex(r.stdout, /Task 0-10: attempt 2\/4 failed \(exit code 1\); retrying in 0 s/, 'the retry line names the attempt');
});

test('conditional block runs one branch; decision routes with on_success/on_failure', async (t) => {
  const dir = tempDir();
  writeFileSync(join(dir, 'f.txt'), 'ENV=prod\ntask=0\ntype=conditional\ncondition=@ENV@=prod\nif_true_tasks=10\nif_false_tasks=11\n\ntask=10\nhostname=localhost\nexec=local\ncommand=echo\narguments=prod branch\n\ntask=11\nhostname=localhost\nexec=local\ncommand=echo\narguments=other branch\n\ntask=1\ntype=decision\nsuccess=@0-10_exit@=0|@10_exit@=0\non_success=3\non_failure=2\n\ntask=2\nhostname=localhost\nexec=local\ncommand=false\n\ntask=3\nhostname=localhost\nexec=local\ncommand=echo\narguments=decided\n');
  const r = await runTaskerInProcess(['-r', 'f.txt', '-l', join(dir, 'logs'), '--output-json', 'o.json', '--skip-task-validation'], { cwd: dir });
  const json = JSON.parse(readFileSync(join(dir, 'o.json'), 'utf8')) as Json;
  t.is(r.code, 0, r.stdout + r.stderr);
  t.deepEqual(json.execution_summary.execution_path, [0, 1, 3]);
  t.truthy(json.task_results['0-10']);
  t.falsy(json.task_results['0-11']);
});
