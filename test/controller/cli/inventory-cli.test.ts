/**
 * Ansible inventories through the real `tasker` bin: `hostnames=@group` over a YAML and an INI
 * inventory, per-host placeholders in command, arguments and condition, the dry-run plan showing
 * what the run executes, ansible_host for exec types and host validation, and refusals (exit 20).
 */
import test from 'ava';
import { readFileSync, writeFileSync, mkdirSync } from 'node:fs';
import { join } from 'node:path';
import { tempDir } from '../../helpers/run-cli.js';
import { runTaskerInProcess } from '../../helpers/tasker.js';

const YAML_INVENTORY = `all:
  vars:
    greeting: hello
    ansible_host: 127.0.0.1
  children:
    web:
      vars:
        http_port: 8080
        role: web
      hosts:
        web[01:03]:
        web04:
          role: canary
    db:
      hosts:
        db1:
          http_port: 5432
          role: primary
          greeting: "hi there"
`;

const INI_INVENTORY = `[web]
web[01:03] ansible_host=127.0.0.1
web04 ansible_host=127.0.0.1 role=canary

[web:vars]
http_port=8080
role=web

[db]
db1 ansible_host=127.0.0.1 http_port=5432 role=primary greeting="hi there"

[all:vars]
greeting=hello
`;

const FAN_OUT = `task=0
type=parallel
hostnames=@web,@db,!web02
exec=local
command=printf
arguments='%s|%s|%s|%s|%s\\n' @HOST@ @HOST_ADDRESS@ @HOST_VAR_http_port@ @HOST_VAR_role@ "@HOST_VAR_greeting@"
`;

interface Json {
  task_results: Record<string, { stdout: string; hostname: string; success: boolean; skipped?: boolean; stderr: string }>;
  workflow_metadata: { exit_code: number };
}

async function tasker(dir: string, args: string[]) {
  return runTaskerInProcess([...args, '-l', join(dir, 'logs')], { cwd: dir });
}

function setUp(files: Record<string, string | Buffer>): string {
  const dir = tempDir('tasker-inventory-');
  for (const [name, text] of Object.entries(files)) {
    mkdirSync(join(dir, name, '..'), { recursive: true });
    writeFileSync(join(dir, name), text);
  }
  return dir;
}

/** `Task 0-100001 [web03]: [local] printf …` lines of the plan, as `KEY → command`. */
function planLines(stdout: string): string[] {
  return [...stdout.matchAll(/^ {6}Task (\S+) \[[^\]]+\]: \[\w+\] (.*)$/gm)].map((m) => `${m[1]} → ${m[2]}`);
}

/** `Task 0-100001: Executing [local] on web03: …` lines of a run, as `KEY → command`, in key order. */
function executedLines(stdout: string): string[] {
  return [...stdout.matchAll(/Task (\S+): Executing \[\w+\] on [^:]+: (.*)$/gm)].map((m) => `${m[1]} → ${m[2]}`).sort();
}

const EXPECTED_STDOUT = {
  web01: 'web01|127.0.0.1|8080|web|hello\n',
  web03: 'web03|127.0.0.1|8080|web|hello\n',
  web04: 'web04|127.0.0.1|8080|canary|hello\n',
  db1: 'db1|127.0.0.1|5432|primary|hi there\n',
};

for (const [format, file, text] of [['YAML', 'inv/hosts.yml', YAML_INVENTORY], ['INI', 'inv/hosts.ini', INI_INVENTORY]] as const) {
  test(`${format} inventory: hostnames=@web,@db,!web02 runs once per host with its variables; the plan shows the same commands`, async (t) => {
    const dir = setUp({ [file]: text, 'fan.txt': FAN_OUT });
    const plan = await tasker(dir, ['--inventory', file, 'fan.txt']);
    t.is(plan.code, 0, plan.stderr);
    const run = await tasker(dir, ['-r', '-i', file, 'fan.txt', '--output-json', 'o.json']);
    t.is(run.code, 0, run.stderr + run.stdout);
    const json = JSON.parse(readFileSync(join(dir, 'o.json'), 'utf8')) as Json;
    const byHost = Object.fromEntries(Object.entries(json.task_results).filter(([k]) => k.includes('-')).map(([, r]) => [r.hostname, r.stdout]));
    t.deepEqual(byHost, EXPECTED_STDOUT);
    t.deepEqual(planLines(plan.stdout), executedLines(run.stdout));
    t.is(planLines(plan.stdout).length, 4);
  });
}

test('the config\'s inventory: (relative to the config file) works like --inventory', async (t) => {
  const dir = setUp({ 'etc/inv.ini': INI_INVENTORY, 'etc/tasker.yaml': 'inventory: inv.ini\n', 'fan.txt': FAN_OUT });
  const run = await tasker(dir, ['-r', '--config', 'etc/tasker.yaml', 'fan.txt', '--output-json', 'o.json']);
  t.is(run.code, 0, run.stderr);
  const json = JSON.parse(readFileSync(join(dir, 'o.json'), 'utf8')) as Json;
  t.is(json.task_results[Object.keys(json.task_results).find((k) => json.task_results[k]!.hostname === 'db1')!]!.stdout, EXPECTED_STDOUT.db1);
});

test('a condition on host variables is checked per host: false hosts are skipped and do not fail the block', async (t) => {
  const dir = setUp({
    'hosts.yml': YAML_INVENTORY,
    'cond.txt': 'task=0\ntype=parallel\nhostnames=@all\nexec=local\ncommand=echo\narguments=@HOST@\ncondition=@HOST_VAR_role@=web\n',
  });
  const plan = await tasker(dir, ['-i', 'hosts.yml', 'cond.txt']);
  t.regex(plan.stdout, /Task 0-\d+ \[web04\]: \[local\] echo web04 \(only if canary=web\)/);
  const run = await tasker(dir, ['-r', '-i', 'hosts.yml', 'cond.txt', '--output-json', 'o.json']);
  t.is(run.code, 0, run.stdout);
  const json = JSON.parse(readFileSync(join(dir, 'o.json'), 'utf8')) as Json;
  const results = Object.values(json.task_results).filter((r) => r.hostname);
  t.deepEqual(results.filter((r) => r.success).map((r) => r.stdout).sort(), ['web01\n', 'web02\n', 'web03\n']);
  t.deepEqual(results.filter((r) => !r.success).map((r) => [r.hostname, r.stderr]).sort(), [['db1', 'Task skipped due to condition'], ['web04', 'Task skipped due to condition']]);
  t.regex(run.stdout, /Parallel execution: 3\/3 successful, 2 host\(s\) skipped by the condition → TRUE/);
  // The host recap (JSON `hosts`) counts them as skipped, under their inventory names.
  const hosts = (json as unknown as { hosts: Record<string, { ok: number; skipped: number }> }).hosts;
  t.deepEqual(Object.fromEntries(Object.entries(hosts).map(([h, c]) => [h, [c.ok, c.skipped]])), { web01: [1, 0], web02: [1, 0], web03: [1, 0], web04: [0, 1], db1: [0, 1] });
});

test('exec=pbrun gets the inventory host\'s ansible_host, and host validation (on) checks that address', async (t) => {
  const dir = setUp({
    'hosts.ini': '[app]\napp-one.invalid ansible_host=127.0.0.1\napp-two.invalid ansible_host=127.0.0.1\n',
    'wf.txt': 'task=0\ntype=parallel\nhostnames=@app\nexec=pbrun\ncommand=echo\narguments=@HOST@\n',
  });
  const run = await tasker(dir, ['-r', '-c', '-i', 'hosts.ini', 'wf.txt']);
  t.is(run.code, 0, run.stdout + run.stderr);
  t.regex(run.stdout, /Executing \[pbrun\] on app-one\.invalid: pbrun -n -h 127\.0\.0\.1 echo app-one\.invalid/);
  t.regex(run.stdout, /STDOUT: app-two\.invalid/);
  // Without the inventory the same names are checked as they are: they do not resolve.
  const plain = setUp({ 'wf.txt': 'task=0\ntype=parallel\nhostnames=app-one.invalid,app-two.invalid\nexec=pbrun\ncommand=echo\narguments=x\n' });
  const refused = await tasker(plain, ['-r', 'wf.txt']);
  t.is(refused.code, 21);
  t.regex(refused.stdout, /host app-one\.invalid \(task 0\): dns/);
});

test('a secret-named inventory variable is masked in the console and the JSON', async (t) => {
  const dir = setUp({
    'hosts.ini': '[web]\nw1 db_password=s3cr3t-value\nw2 db_password=s3cr3t-value\n',
    'wf.txt': 'task=0\ntype=parallel\nhostnames=@web\nexec=local\ncommand=echo\narguments=pw=@HOST_VAR_db_password@\n',
  });
  const run = await tasker(dir, ['-r', '-i', 'hosts.ini', 'wf.txt', '--output-json', 'o.json']);
  t.is(run.code, 0, run.stderr);
  t.false(run.stdout.includes('s3cr3t-value'));
  t.false(readFileSync(join(dir, 'o.json'), 'utf8').includes('s3cr3t-value'));
  t.regex(run.stdout, /pw=<masked len=12>/);
});

const refusal = test.macro(async (t, files: Record<string, string | Buffer>, args: string[], stderr: RegExp, code = 20) => {
  const dir = setUp(files);
  const r = await tasker(dir, args);
  t.is(r.code, code, r.stdout + r.stderr);
  t.regex(r.stderr, stderr);
});

test('an unknown group is a positioned error naming it (exit 20)', refusal,
  { 'h.yml': YAML_INVENTORY, 'wf.txt': 'task=0\ntype=parallel\nhostnames=@web,@dbs\nexec=local\ncommand=echo\n' },
  ['-i', 'h.yml', 'wf.txt'],
  /wf\.txt:3:16: error\[UNKNOWN_GROUP\] task 0: group 'dbs' is not in the inventory h\.yml\n 3 \| hostnames=@web,@dbs\n   \| {16}\^\^\^\^\n   = help: did you mean '@db'\?/);
test('@group without an inventory is refused (exit 20)', refusal,
  { 'wf.txt': 'task=0\ntype=parallel\nhostnames=@web\nexec=local\ncommand=echo\n' },
  ['wf.txt'],
  /wf\.txt:3:11: error\[INVENTORY_REQUIRED\] task 0: '@web' names an inventory group, but no inventory is given/);
test('@HOST_VAR_name@ that a selected host lacks is refused (exit 20)', refusal,
  { 'h.yml': YAML_INVENTORY, 'wf.txt': 'task=0\ntype=parallel\nhostnames=@all\nexec=local\ncommand=echo\narguments=@HOST_VAR_http_prot@\n' },
  ['-i', 'h.yml', 'wf.txt'],
  /wf\.txt:6:11: error\[UNDEFINED_HOST_VAR\] task 0: @HOST_VAR_http_prot@: hosts web01, web02, web03, web04, db1 have no inventory variable 'http_prot'\n[^]*help: did you mean @HOST_VAR_http_port@\?/);
test('a bad inventory is a positioned error in the inventory (exit 20)', refusal,
  { 'h.ini': '[web]\nweb[05:01]\n', 'wf.txt': 'task=0\ntype=parallel\nhostnames=@web\nexec=local\ncommand=echo\n' },
  ['-i', 'h.ini', 'wf.txt'],
  /h\.ini:2:4: error\[INVALID_HOST_PATTERN\] range \[05:01\] ends before it begins\n 2 \| web\[05:01\]\n   \| {4}\^{7}\ntasker: error: the inventory h\.ini has errors; nothing was run/);
test('a missing inventory file is refused like a missing task file (exit 30)', refusal,
  { 'wf.txt': 'task=0\nhostname=localhost\nexec=local\ncommand=true\n' },
  ['-i', 'nope.yml', 'wf.txt'],
  /tasker: error: inventory nope\.yml does not exist; nothing was run/, 30);
test('an inventory that is a directory is refused (exit 31)', refusal,
  { 'inv/x': '', 'wf.txt': 'task=0\nhostname=localhost\nexec=local\ncommand=true\n' },
  ['-i', 'inv', 'wf.txt'],
  /tasker: error: inventory inv is a directory, not a regular file/, 31);
test('an inventory that is not UTF-8 is a positioned error (exit 20)', refusal,
  { 'h.ini': Buffer.from([0x5b, 0x77, 0x5d, 0x0a, 0x77, 0x31, 0xff, 0x0a]), 'wf.txt': 'task=0\nhostname=localhost\nexec=local\ncommand=true\n' },
  ['-i', 'h.ini', 'wf.txt'],
  /h\.ini:2:3: error\[INVALID_UTF8\]/);

test('an inventory value with shell syntax, used in a command, gets the security checks of a global (exit 20; skippable)', async (t) => {
  const dir = setUp({
    'hosts.ini': '[web]\nw1 path=/srv/app\nw2 path="$(reboot)"\n',
    'wf.txt': 'task=0\ntype=parallel\nhostnames=@web\nexec=local\ncommand=echo\narguments=@HOST_VAR_path@\n',
  });
  const r = await tasker(dir, ['-r', '-i', 'hosts.ini', 'wf.txt']);
  t.is(r.code, 20);
  t.regex(r.stderr, /wf\.txt:6:11: error\[SECURITY_INJECTION\] task 0: @HOST_VAR_path@ for host w2: the value contains the injection pattern 'command substitution \$\(…\)'/);
  const skipped = await tasker(dir, ['-r', '-i', 'hosts.ini', 'wf.txt', '--skip-security-validation']);
  t.is(skipped.code, 0, skipped.stderr);
  t.regex(skipped.stdout, /STDOUT: \$\(reboot\)/, 'passed as one literal argument, never to a shell');
});
test('/dev/zero as the inventory is refused by the bounded reader, not read (exit 31)', refusal,
  { 'wf.txt': 'task=0\nhostname=localhost\nexec=local\ncommand=true\n' },
  ['-i', '/dev/zero', 'wf.txt'],
  /tasker: error: inventory \/dev\/zero is a character device, not a regular file/, 31);
test('an inventory nested 100,000 levels deep is a positioned error, not a crash (exit 20)', refusal,
  { 'deep.json': `${'{"g": {"children":\n'.repeat(100000)}null${'}}\n'.repeat(100000)}`, 'wf.txt': 'task=0\nhostname=localhost\nexec=local\ncommand=true\n' },
  ['-i', 'deep.json', 'wf.txt'],
  /deep\.json:\d+:\d+: error\[[A-Z_]+\][^\n]*\n[^]*tasker: error: the inventory deep\.json has errors; nothing was run/);
test('an inventory line over 1 MiB is a positioned error with an inventory hint (exit 20)', refusal,
  { 'long.ini': `[web]\nweb01 motd=${'x'.repeat(1100000)}\n`, 'wf.txt': 'task=0\nhostname=localhost\nexec=local\ncommand=true\n' },
  ['-i', 'long.ini', 'wf.txt'],
  /^long\.ini:2:1048577: error\[LINE_TOO_LONG\] line is longer than 1 MiB\n *= help: an inventory line holds one host, group or variable\ntasker: error: inventory long\.ini cannot be read; nothing was run\n$/);
