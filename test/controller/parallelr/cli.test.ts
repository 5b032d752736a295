import test from 'ava';
import { spawnSync } from 'node:child_process';
import { existsSync, mkdirSync, readdirSync, readFileSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { run } from '../../../controller/parallelr/cli.js';
import { TASK_RECORD_KEYS } from '../../../controller/parallelr/types.js';
import { fakeIo, makeSandbox, readJsonl, REPO, resultsPathFrom, writeFiles, writeUserConfig } from './helpers.js';

test('dry run (no -r) lists every command and runs nothing', async (t) => {
  const sb = makeSandbox();
  writeFiles(sb.tasks, { 'a.task': '', 'b.task': '', 'c.task': '' });
  const io = fakeIo(sb);
  const code = await run(['-T', sb.tasks, '-C', 'touch @TASK@.ran'], io);
  t.is(code, 0);
  const lines = io.out().trimEnd().split('\n');
  t.regex(lines[0]!, /^DRY RUN: 3 task\(s\) would run/);
  t.deepEqual(lines.slice(1), [
    `[1/3]: touch ${join(sb.tasks, 'a.task')}.ran`,
    `[2/3]: touch ${join(sb.tasks, 'b.task')}.ran`,
    `[3/3]: touch ${join(sb.tasks, 'c.task')}.ran`,
  ]);
  t.deepEqual(readdirSync(sb.tasks).sort(), ['a.task', 'b.task', 'c.task']);
  t.false(existsSync(join(sb.state, 'logs')), 'no log, results or output file in a dry run');
});

test('a distributed dry run says where its jobs would go (servers and pool, as the run resolves them) and connects to nothing', async (t) => {
  const sb = makeSandbox();
  writeFiles(sb.tasks, { 'a.task': '', 'b.task': '' });
  writeUserConfig(sb, 'nats:\n  url: nats://nats-a.example:4222,nats://nats-b.example:4222\n  pool: from-config\n');
  const fromFlags = fakeIo(sb);
  t.is(await run(['-T', sb.tasks, '-C', 'true @TASK@', '--nats', 'nats://127.0.0.1:1', '--pool', 'blue'], fromFlags), 0);
  t.is(fromFlags.out().split('\n')[0], 'DRY RUN: 2 task(s) would run distributed via NATS nats://127.0.0.1:1 on the agents of pool blue (each runs up to its own --max at once), timeout 600s. Nothing is executed; add -r to run.');
  const fromConfig = fakeIo(sb);
  t.is(await run(['-T', sb.tasks, '-C', 'true @TASK@', '--batch', '2'], fromConfig), 0);
  t.regex(fromConfig.out().split('\n')[0]!, /^DRY RUN: 2 task\(s\) would run distributed via NATS nats:\/\/nats-a\.example:4222,nats:\/\/nats-b\.example:4222 on the agents of pool from-config /);
  const badPool = fakeIo(sb);
  t.not(await run(['-T', sb.tasks, '-C', 'true @TASK@', '--pool', 'no spaces'], badPool), 0);
  t.regex(badPool.err(), /NATS pool name must be 1-64 letters, digits, '_' or '-', got `no spaces`/, 'a pool the run would refuse is refused in the dry run too');
  t.is(fromFlags.err(), '', 'no note without -m or -s');
  const localOnly = fakeIo(sb);
  t.is(await run(['-T', sb.tasks, '-C', 'true @TASK@', '--nats', 'nats://127.0.0.1:1', '-m', '8', '-s', '2'], localOnly), 0);
  t.is(localOnly.err(), 'parallelr: note: -m 8 and -s 2 do not apply to a distributed run: each agent runs up to its own --max at once and starts a job as soon as a slot frees\n');
  const local = fakeIo(sb);
  t.is(await run(['-T', sb.tasks, '-C', 'true @TASK@', '-m', '8'], local), 0);
  t.is(local.err(), '', 'a local run takes -m as it is');
});

test('results file: one line per task file, exactly the documented keys, status per outcome', async (t) => {
  const sb = makeSandbox();
  writeFiles(sb.tasks, { '1-ok.sh': 'exit 0\n', '2-fail.sh': 'exit 3\n', '3-ok.sh': 'echo fine\n', '4-big.sh': 'x'.repeat(200) });
  writeUserConfig(sb, 'advanced:\n  max_file_size: 100\n');
  const io = fakeIo(sb);
  const code = await run(['-T', 'tasks', '-C', 'sh @TASK@', '-r', '-m', '2'], io);
  t.is(code, 1, 'a failed task makes the exit code 1');
  const path = resultsPathFrom(io.out());
  t.true(io.out().indexOf(`Results: ${path}`) < io.out().indexOf('[1/4]'), 'results path printed at the start too');
  const records = readJsonl(path);
  t.is(records.length, 4);
  for (const r of records) t.deepEqual(Object.keys(r), [...TASK_RECORD_KEYS]);
  const byFile = Object.fromEntries(records.map((r) => [r.task_file as string, r]));
  t.deepEqual(Object.keys(byFile).sort(), ['tasks/1-ok.sh', 'tasks/2-fail.sh', 'tasks/3-ok.sh', 'tasks/4-big.sh']);
  const ok = byFile['tasks/1-ok.sh']!;
  t.is(ok.status, 'SUCCESS');
  t.is(ok.exit_code, 0);
  t.is(ok.command, `sh ${join(sb.tasks, '1-ok.sh')}`);
  t.is(ok.agent, null);
  t.true(ok.worker === 1 || ok.worker === 2);
  t.regex(ok.start_time as string, /^\d{4}-\d\d-\d\dT\d\d:\d\d:\d\d\.\d{3}Z$/);
  t.true(Date.parse(ok.end_time as string) >= Date.parse(ok.start_time as string));
  t.is(typeof ok.duration_seconds, 'number');
  t.is(byFile['tasks/2-fail.sh']!.status, 'FAILED');
  t.is(byFile['tasks/2-fail.sh']!.exit_code, 3);
  t.is(byFile['tasks/2-fail.sh']!.error_message, 'Exit code 3');
  t.is(byFile['tasks/4-big.sh']!.status, 'ERROR');
  t.is(byFile['tasks/4-big.sh']!.exit_code, null);
  t.regex(byFile['tasks/4-big.sh']!.error_message as string, /max_file_size/);
  t.regex(io.out(), /Total Tasks: 4\nCompleted Successfully: 2\nFailed: 2 \(timeouts: 0, errors: 1\)\nCancelled: 0/);
});

test('--results FILE sets the results path', async (t) => {
  const sb = makeSandbox();
  writeFiles(sb.tasks, { a: '' });
  const io = fakeIo(sb);
  t.is(await run(['-T', 'tasks', '-C', 'true @TASK@', '-r', '--results', 'out/r.jsonl'], io), 0);
  t.is(resultsPathFrom(io.out()), join(sb.dir, 'out/r.jsonl'));
  t.is(readJsonl(join(sb.dir, 'out/r.jsonl')).length, 1);
});

test('@TASK@ is one argv element even with spaces and quotes in the path', async (t) => {
  const sb = makeSandbox();
  writeFiles(sb.tasks, { "my task 'x'.txt": '' });
  const io = fakeIo(sb);
  t.is(await run(['-T', 'tasks', '-C', 'sh -c "echo \\$# > count" sh @TASK@', '-r'], io), 0, io.out() + io.err());
  const counts = readJsonl(resultsPathFrom(io.out()));
  t.is(counts[0]!.status, 'SUCCESS');
  t.is(counts[0]!.command, `sh -c 'echo $# > count' sh '${join(sb.tasks, "my task '\\''x'\\''.txt")}'`);
  t.is(readFileSync(join(sb.state, 'workspace', 'count'), 'utf8'), '1\n', 'sh saw exactly one argument');
});

test('arguments mode: @ARG@/@ARG_N@, -S comma, -E variables, one task per line', async (t) => {
  const sb = makeSandbox();
  writeFileSync(join(sb.dir, 'args.txt'), '# host,port\nweb 01, 80\n\ndb01,5432\n');
  writeFiles(sb.tasks, { 'show.sh': 'printf "%s|%s|%s|%s\\n" "$1" "$2" "$HOST" "$PORT" >> "$PWD/seen"\n' });
  const io = fakeIo(sb);
  const code = await run(['-T', 'tasks/show.sh', '-A', 'args.txt', '-S', 'comma', '-E', 'HOST,PORT', '-C', 'sh @TASK@ @ARG@ @ARG_2@', '-r', '-m', '1'], io);
  t.is(code, 0, io.err());
  const records = readJsonl(resultsPathFrom(io.out()));
  t.deepEqual(records.map((r) => r.arguments), [['web 01', '80'], ['db01', '5432']]);
  t.deepEqual(records.map((r) => r.task_file), ['tasks/show.sh', 'tasks/show.sh']);
  t.is(records[0]!.command, `HOST='web 01' PORT=80 sh ${join(sb.tasks, 'show.sh')} 'web 01' 80`);
  const { readFileSync } = await import('node:fs');
  t.is(readFileSync(join(sb.state, 'workspace', 'seen'), 'utf8'), 'web 01|80|web 01|80\ndb01|5432|db01|5432\n');
});

test('arguments mode rejects placeholders beyond the field count and uneven lines', async (t) => {
  const sb = makeSandbox();
  writeFileSync(join(sb.dir, 'args.txt'), 'a b\nc d\n');
  writeFileSync(join(sb.dir, 'uneven.txt'), 'a b\nc\n');
  let io = fakeIo(sb);
  t.is(await run(['-A', 'args.txt', '-S', 'space', '-C', 'echo @ARG_3@'], io), 1);
  t.regex(io.err(), /uses @ARG_3@ but each line of args.txt has only 2 argument\(s\)/);
  io = fakeIo(sb);
  t.is(await run(['-A', 'uneven.txt', '-S', 'space', '-C', 'echo @ARG@'], io), 1);
  t.regex(io.err(), /same number of arguments: 2 argument\(s\) on line 1; 1 argument\(s\) on line 2/);
});

const usage = test.macro(async (t, argv: string[], message: RegExp) => {
  const sb = makeSandbox();
  writeFiles(sb.tasks, { a: '' });
  const io = fakeIo(sb);
  t.is(await run(argv, io), 2);
  t.regex(io.err(), /^usage: parallelr /);
  t.regex(io.err(), message);
});

test('usage: unknown flag', usage, ['-T', 'tasks', '-C', 'x', '--bogus'], /error: unknown option --bogus/);
test('usage: -t 0 is rejected', usage, ['-T', 'tasks', '-C', 'x', '-t', '0'], /-t must be a whole number of at least 1, got `0`/);
test('usage: -m 0 is rejected', usage, ['-T', 'tasks', '-C', 'x', '-m', '0'], /-m must be a whole number of at least 1, got `0`/);
test('usage: -m above max_allowed_workers', usage, ['-T', 'tasks', '-C', 'x', '-m', '101'], /from 1 to 100 \(limits.max_allowed_workers\), got `101`/);
test('usage: missing -C', usage, ['-T', 'tasks'], /-C\/--Command is required/);
test('usage: -S without -A', usage, ['-T', 'tasks', '-C', 'x', '-S', 'comma'], /-S\/--separator needs -A/);
test('usage: bad -E name', usage, ['-A', 'f', '-E', '1X', '-C', 'x'], /`1X` is not a valid environment variable name/);
test('usage: unterminated quote in -C', usage, ['-T', 'tasks', '-C', 'sh "oops'], /-C\/--Command: unterminated double quote/);

test('file mode: extensions filter and globs', async (t) => {
  const sb = makeSandbox();
  writeFiles(sb.tasks, { 'a.TXT': '', 'b.txt': '', 'c.sh': '', 'd.log': '' });
  let io = fakeIo(sb);
  t.is(await run(['-T', 'tasks', '-C', 'cat @TASK@', '--file-extension', 'txt,sh'], io), 0);
  t.deepEqual(io.out().match(/tasks\/\S+/g), ['tasks/a.TXT', 'tasks/b.txt', 'tasks/c.sh']);
  io = fakeIo(sb);
  t.is(await run(['-T', 'tasks/*.log', 'tasks/c.*', '-C', 'cat @TASK@'], io), 0);
  t.deepEqual(io.out().match(/tasks\/\S+/g), ['tasks/c.sh', 'tasks/d.log']);
  io = fakeIo(sb);
  t.is(await run(['-T', 'tasks/*.none', '-C', 'cat @TASK@'], io), 1);
  t.regex(io.err(), /-T tasks\/\*\.none: no file matches this pattern/);
});

test('--validate-config reports file:line:col errors; --show-config names the files read', async (t) => {
  const sb = makeSandbox();
  const cfg = writeUserConfig(sb, 'limits:\n  max_workers: 0\n  max_wokers: 3\n  timeout_seconds: 9000\nsecurity:\n  max_argument_length: 5\n');
  let io = fakeIo(sb);
  t.is(await run(['--validate-config'], io), 1);
  t.true(io.err().includes(`${cfg}:2:16: error: limits.max_workers must be a whole number of at least 1, got 0`), io.err());
  t.true(io.err().includes(`${cfg}:3:3: error: unknown key 'limits.max_wokers'; did you mean 'limits.max_workers'?`), io.err());
  t.true(io.err().includes(`${cfg}:4:20: warning: limits.timeout_seconds 9000 is above limits.max_allowed_timeout (3600); lowered to 3600`), io.err());
  t.true(io.err().includes(`${cfg}:6:3: warning: 'security.max_argument_length' can only be set in the installation config; ignored`), io.err());
  writeUserConfig(sb, 'limits:\n  max_workers: 7\n');
  io = fakeIo(sb);
  t.is(await run(['--show-config'], io), 0);
  t.regex(io.out(), /installation: .*no-installation-config\.yaml \(not found\)/);
  t.true(io.out().includes(`user:         ${cfg} (read)`));
  t.regex(io.out(), /max_workers: 7\n/);
  io = fakeIo(sb);
  writeUserConfig(sb, 'limits: [1, 2\n');
  t.is(await run(['-T', 'tasks', '-C', 'x'], io), 1);
  t.true(io.err().includes(`${cfg}:`) && io.err().includes('YAML syntax'), io.err());
});

test('run mode backs up the task files and session; --no-backup-inputs skips it', async (t) => {
  const sb = makeSandbox();
  writeFiles(sb.tasks, { 'a.sh': 'exit 0\n', 'b.sh': 'exit 0\n' });
  let io = fakeIo(sb);
  t.is(await run(['-T', 'tasks', '-C', 'sh @TASK@', '-r'], io), 0);
  const dir = /Input backup: (.+)/.exec(io.out())![1]!;
  t.deepEqual(readdirSync(join(dir, 'tasks')).sort(), ['a.sh', 'b.sh']);
  t.is(JSON.parse(readFileSync(join(dir, 'session.json'), 'utf8')).tasks, 2);
  io = fakeIo(sb);
  t.is(await run(['-T', 'tasks', '-C', 'sh @TASK@', '-r', '--no-backup-inputs'], io), 0);
  t.notRegex(io.out(), /Input backup/);
});

test('the input backup runs in the background, yet every task file is saved before its task starts', async (t) => {
  const sb = makeSandbox();
  const files: Record<string, string> = {};
  for (let i = 0; i < 200; i++) files[`t${i}.sh`] = `# task ${i}\nexit 0\n`;
  writeFiles(sb.tasks, files);
  const io = fakeIo(sb);
  // Each task compares its file with the copy in the backup: a copy not yet there (or partial) fails it.
  const check = 'sh -c "cmp -s \\"\\$1\\" \\"\\$HOME\\"/parallelr/backups/parallelr_*/tasks/\\"\\$(basename \\"\\$1\\")\\"" sh @TASK@';
  t.is(await run(['-T', 'tasks', '-C', check, '-r', '-m', '4'], io), 0, io.out() + io.err());
  const records = readJsonl(resultsPathFrom(io.out()));
  t.is(records.length, 200);
  t.true(records.every((r) => r.status === 'SUCCESS'));
  const dir = /Input backup: (.+)/.exec(io.out())![1]!;
  t.is(readdirSync(join(dir, 'tasks')).length, 200);
});

test('files above and at the read-and-write size limit are backed up byte for byte too', async (t) => {
  const sb = makeSandbox();
  const body = (bytes: number) => `# ${'x'.repeat(bytes - 12)}\nexit 0\n`;
  // 1 MiB goes through read and write; larger files through copyFile in the thread pool.
  writeFiles(sb.tasks, { 'small.sh': body(100), 'limit.sh': body(1024 * 1024), 'big.sh': body(3 * 1024 * 1024 + 7), 'after.sh': body(50) });
  writeUserConfig(sb, 'advanced:\n  max_file_size: 10000000\n');
  const io = fakeIo(sb);
  const check = 'sh -c "cmp -s \\"\\$1\\" \\"\\$HOME\\"/parallelr/backups/parallelr_*/tasks/\\"\\$(basename \\"\\$1\\")\\"" sh @TASK@';
  t.is(await run(['-T', 'tasks', '-C', check, '-r', '-m', '2'], io), 0, io.out() + io.err());
  const records = readJsonl(resultsPathFrom(io.out()));
  t.deepEqual(records.map((r) => r.status), ['SUCCESS', 'SUCCESS', 'SUCCESS', 'SUCCESS']);
});

test('a backup that cannot be written is a warning; the run goes on', async (t) => {
  const sb = makeSandbox();
  writeFiles(sb.tasks, { 'a.sh': 'exit 0\n' });
  mkdirSync(sb.state, { recursive: true });
  writeFileSync(join(sb.state, 'backups'), 'not a directory');
  const io = fakeIo(sb);
  t.is(await run(['-T', 'tasks', '-C', 'sh @TASK@', '-r'], io), 0, io.out() + io.err());
  t.regex(io.err(), /parallelr: warning: input backup failed \(the run continues\): .*backups/);
  t.notRegex(io.out(), /Input backup:/);
  t.is(readJsonl(resultsPathFrom(io.out()))[0]!.status, 'SUCCESS');
});

test('ptasker mode: the command becomes `tasker @TASK@ -p PROJECT -r` and state lives under ~/ptasker', async (t) => {
  const sb = makeSandbox();
  writeFiles(sb.tasks, { 'a.txt': 'task=0\nhostname=localhost\ncommand=true\nexec=local\n' });
  let io = fakeIo(sb);
  t.is(await run(['-T', 'tasks'], io, { programName: 'ptasker' }), 0);
  t.regex(io.out(), /^Auto-generated project: parallelr_[0-9a-f]{6}\nUsing command: tasker @TASK@ -p parallelr_[0-9a-f]{6} -r\n/);
  t.regex(io.out(), new RegExp(`\\[1/1\\]: tasker ${join(sb.tasks, 'a.txt')} -p parallelr_[0-9a-f]{6} -r`));
  io = fakeIo(sb);
  t.is(await run(['-T', 'tasks', '-p', 'nightly', '-r'], io, { programName: 'ptasker' }), 0, io.out() + io.err());
  t.true(resultsPathFrom(io.out()).startsWith(join(sb.home, 'ptasker', 'logs')));
  t.true(existsSync(join(sb.home, 'TASKER', 'logs', 'project_nightly_summary.log')));
  io = fakeIo(sb);
  t.is(await run(['-C', 'x'], io, { programName: 'ptasker' }), 2);
  t.regex(io.err(), /ptasker needs -T/);
});

// The bin npm links (the bundled parallelr.cjs), run directly: its shebang keeps Node from parsing
// NODE_EXTRA_CA_CERTS at start, and the commands it runs still get the variable unchanged.
test('the built bin runs directly, skips Node parsing NODE_EXTRA_CA_CERTS and passes it on to commands', async (t) => {
  const sb = makeSandbox();
  writeFiles(sb.tasks, { 'a.txt': '', 'b.txt': '' });
  const bin = join(REPO, 'dist', 'controller', 'cli', 'parallelr.cjs');
  const env = { ...sb.env, NODE_EXTRA_CA_CERTS: '/nonexistent/extra ca.pem' };
  const cmd = 'sh -c "echo \\"[\\${NODE_EXTRA_CA_CERTS-unset}] [\\${TASKER_NODE_EXTRA_CA_CERTS-unset}]\\" > \\"\\$1.env\\"" sh @TASK@';
  const r = spawnSync(bin, ['-T', 'tasks', '-C', cmd, '-r'], { cwd: sb.dir, env, encoding: 'utf8' });
  t.is(r.status, 0, r.stdout + r.stderr);
  t.notRegex(r.stderr, /extra certs/);
  t.deepEqual(readJsonl(resultsPathFrom(r.stdout)).map((x) => x.status), ['SUCCESS', 'SUCCESS']);
  for (const f of ['a.txt', 'b.txt']) t.is(readFileSync(join(sb.tasks, `${f}.env`), 'utf8'), '[/nonexistent/extra ca.pem] [unset]\n');
});
