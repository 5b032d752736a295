/**
 * The per-host recap at the end of a run (issue 15 item 4): the console's HOST RECAP lines and the
 * JSON `hosts` object say the same, for a run over several hosts with a failure, a skip and a timeout.
 */
import test from 'ava';
import { readFileSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { tempDir } from '../../helpers/run-cli.js';
import { runTaskerInProcess } from '../../helpers/tasker.js';
import type { HostTally } from '../../../shared/hosts/host-tally.js';

type Tally = HostTally;
interface Json {
  execution_summary: { executed: number; succeeded: number; failed: number; timeouts: number };
  task_results: Record<string, unknown>;
  hosts: Record<string, Tally>;
}

/** The HOST RECAP block of the console, parsed back into tallies. */
function parseRecap(out: string): Record<string, Tally> {
  const recap: Record<string, Tally> = {};
  const at = out.indexOf('HOST RECAP');
  if (at < 0) return recap;
  for (const line of out.slice(at).split('\n').slice(1)) {
    const m = /^\[[^\]]+\]\s+(\S+)\s+: ok=(\d+) failed=(\d+) skipped=(\d+) timed_out=(\d+) unreachable=(\d+) ran_on=(\S+)$/.exec(line);
    if (!m) break;
    recap[m[1]!] = { ok: +m[2]!, failed: +m[3]!, skipped: +m[4]!, timed_out: +m[5]!, unreachable: +m[6]!, ran_on: m[7] === '-' ? [] : m[7]!.split(',') };
  }
  return recap;
}

async function run(text: string, extra: string[] = []): Promise<{ code: number | null; out: string; json: Json }> {
  const dir = tempDir('tasker-recap-');
  writeFileSync(join(dir, 'f.txt'), text);
  const r = await runTaskerInProcess(['-r', 'f.txt', '-l', join(dir, 'logs'), '--output-json', 'o.json', ...extra], { cwd: dir });
  return { code: r.code, out: r.stdout + r.stderr, json: JSON.parse(readFileSync(join(dir, 'o.json'), 'utf8')) as Json };
}

const SEVERAL_HOSTS = [
  'task=0', 'hostname=web01', 'command=true', 'exec=local', '',
  'task=1', 'hostname=web02', 'command=false', 'exec=local', 'on_failure=2', '',
  'task=2', 'hostname=web03', 'command=sleep', 'arguments=60', 'timeout=5', 'exec=local', 'on_failure=3', '',
  'task=3', 'hostname=web04', 'command=true', 'exec=local', 'condition=@0_exit@=1', '',
  'task=4', 'type=parallel', 'hostnames=web01,web05', 'command=true', 'exec=local', '',
  'task=5', 'hostname=web01', 'command=true', 'exec=local', 'next=loop', 'loop=1', '',
].join('\n');

test('the recap and the JSON hosts agree over several hosts with one failure, one skip and one timeout', async (t) => {
  const r = await run(SEVERAL_HOSTS);
  t.is(r.code, 0, r.out);
  const recap = parseRecap(r.out);
  t.deepEqual(recap, r.json.hosts);
  // web01: task 0, sub-task 4-140000 and both loop iterations (not the loop's summary entry).
  t.deepEqual(r.json.hosts, {
    web01: { ok: 4, failed: 0, skipped: 0, timed_out: 0, unreachable: 0, ran_on: ['local'] },
    web02: { ok: 0, failed: 1, skipped: 0, timed_out: 0, unreachable: 0, ran_on: ['local'] },
    web03: { ok: 0, failed: 0, skipped: 0, timed_out: 1, unreachable: 0, ran_on: ['local'] },
    web04: { ok: 0, failed: 0, skipped: 1, timed_out: 0, unreachable: 0, ran_on: [] },
    web05: { ok: 1, failed: 0, skipped: 0, timed_out: 0, unreachable: 0, ran_on: ['local'] },
  });
  // The existing §3 fields are all still there.
  t.truthy(r.json.execution_summary);
  t.truthy(r.json.task_results['4-140001']);
  t.regex(r.out, /Task 4-140001: Executing \[local\] on web05: true/);
});

test('a run on one host prints no recap but its JSON still has hosts', async (t) => {
  const r = await run(['task=0', 'hostname=localhost', 'command=true', 'exec=local', ''].join('\n'));
  t.is(r.code, 0, r.out);
  t.notRegex(r.out, /HOST RECAP/);
  t.deepEqual(r.json.hosts, { localhost: { ok: 1, failed: 0, skipped: 0, timed_out: 0, unreachable: 0, ran_on: ['local'] } });
});

test('hosts that fail host validation are unreachable in the recap and the JSON, with nothing run', async (t) => {
  const r = await run([
    'task=0', 'hostname=no-such-host-a.invalid', 'command=true', 'exec=pbrun', '',
    'task=1', 'hostname=no-such-host-b.invalid', 'command=true', 'exec=pbrun', '',
  ].join('\n'));
  t.not(r.code, 0);
  t.notRegex(r.out, /Executing/);
  const expected = { ok: 0, failed: 0, skipped: 0, timed_out: 0, unreachable: 1, ran_on: ['local'] };
  t.deepEqual(r.json.hosts, { 'no-such-host-a.invalid': expected, 'no-such-host-b.invalid': expected });
  t.deepEqual(parseRecap(r.out), r.json.hosts);
});

test('a resumed run (--auto-recovery) recaps the hosts of the tasks before the resume too', async (t) => {
  const dir = tempDir('tasker-recap-resume-');
  writeFileSync(join(dir, 'f.txt'), [
    'task=0', 'hostname=web01', 'command=true', 'exec=local', '',
    'task=1', 'hostname=web02', 'command=test', `arguments=-e ${join(dir, 'flag')}`, 'exec=local', '',
  ].join('\n'));
  const args = ['-r', 'f.txt', '-l', join(dir, 'logs'), '--output-json', 'o.json', '--auto-recovery'];
  const first = await runTaskerInProcess(args, { cwd: dir });
  t.is(first.code, 10, first.stdout);
  writeFileSync(join(dir, 'flag'), '');
  const second = await runTaskerInProcess(args, { cwd: dir });
  t.is(second.code, 0, second.stdout);
  t.regex(second.stdout, /Resuming f\.txt at task 1/);
  const json = JSON.parse(readFileSync(join(dir, 'o.json'), 'utf8')) as Json;
  t.deepEqual(json.hosts, {
    web01: { ok: 1, failed: 0, skipped: 0, timed_out: 0, unreachable: 0, ran_on: ['local'] },
    web02: { ok: 1, failed: 0, skipped: 0, timed_out: 0, unreachable: 0, ran_on: ['local'] },
  });
  t.deepEqual(parseRecap(second.stdout), json.hosts);
});

test('an ssh host that refuses the connection is unreachable, not failed', async (t) => {
  const r = await run([
    'task=0', 'hostname=127.0.0.1:1', 'command=true', 'exec=ssh', 'on_failure=1', '',
    'task=1', 'hostname=localhost', 'command=true', 'exec=local', '',
  ].join('\n'), ['--skip-host-validation']);
  t.is(r.code, 0, r.out);
  t.regex(r.out, /Task 0: Executing \[ssh\] on 127\.0\.0\.1:1 via ssh: /);
  t.deepEqual(r.json.hosts['127.0.0.1:1'], { ok: 0, failed: 0, skipped: 0, timed_out: 0, unreachable: 1, ran_on: ['ssh'] });
  t.deepEqual(parseRecap(r.out), r.json.hosts);
});

test('a hostnames= block names the hosts its sub-tasks failed on', async (t) => {
  const r = await run(['task=0', 'type=parallel', 'hostnames=web01,web02,web03', 'command=test', 'arguments=@task@ -lt 100001', 'exec=local', ''].join('\n'));
  t.is(r.code, 10, r.out);
  t.regex(r.out, /Task 0-100001: Executing \[local\] on web02: test 100001 -lt 100001/);
  t.regex(r.out, /Task 0: failed on web02, web03\n/);
  t.like(r.json.hosts, { web01: { ok: 1 }, web02: { failed: 1 }, web03: { failed: 1 } });
});
