// Built bin: the umask is the process's own (set by the shell that starts the bin).
/**
 * Records that may hold secrets are private whatever the umask (issue 13 item 9): the real tasker
 * and parallelr bins run under `umask 000`; every file they write is 0600, every directory 0700,
 * and the secret names the issue lists are masked in them.
 */
import test from 'ava';
import { spawn } from 'node:child_process';
import { mkdirSync, readdirSync, readFileSync, statSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { FIXTURE_BIN, ROOT, tempDir } from '../helpers/run-cli.js';

const TASKER = join(ROOT, 'dist', 'controller', 'cli', 'tasker.cjs');
const PARALLELR = join(ROOT, 'dist', 'controller', 'cli', 'parallelr.cjs');

/** Run a bin with `umask 000` (set by the shell that execs it). */
function runUnderUmask000(bin: string, args: string[], cwd: string, env: NodeJS.ProcessEnv = {}): Promise<{ code: number | null; out: string }> {
  return new Promise((resolve) => {
    const child = spawn('/bin/sh', ['-c', 'umask 000; exec "$@"', 'sh', process.execPath, bin, ...args], {
      cwd, env: { ...process.env, PATH: `${FIXTURE_BIN}:${process.env['PATH']}`, ...env }, stdio: ['ignore', 'pipe', 'pipe'],
    });
    let out = '';
    child.stdout.on('data', (d: Buffer) => (out += d));
    child.stderr.on('data', (d: Buffer) => (out += d));
    child.on('close', (code) => resolve({ code, out }));
  });
}

/** Every file and directory under `dir` (itself excluded) with its permission bits. */
function modesUnder(dir: string): Map<string, number> {
  const out = new Map<string, number>();
  for (const name of readdirSync(dir, { recursive: true }) as string[]) out.set(name, statSync(join(dir, name)).mode & 0o777);
  return out;
}

function wrongModes(dir: string): string[] {
  const wrong: string[] = [];
  for (const [name, mode] of modesUnder(dir)) {
    const want = statSync(join(dir, name)).isDirectory() ? 0o700 : 0o600;
    if (mode !== want) wrong.push(`${name}: ${mode.toString(8)} (want ${want.toString(8)})`);
  }
  return wrong;
}

const SECRETS = { DB_PASS: 'db-pass-value-1', MYSQL_PWD: 'mysql-pwd-value-2', PASSPHRASE: 'passphrase-value-3', CREDENTIALS: 'credentials-value-4' };

test('tasker under umask 000: logs, task copy, summary, JSON and recovery state are 0600 in 0700 dirs; DB_PASS, MYSQL_PWD, PASSPHRASE, CREDENTIALS masked', async (t) => {
  const dir = tempDir();
  const base = join(dir, 'base');
  const globals = Object.entries(SECRETS).map(([k, v]) => `${k}=${v}`).join('\n');
  const args = Object.keys(SECRETS).map((k) => `@${k}@`).join(' ');
  // Task 1 fails, so the recovery state stays on disk to be checked.
  writeFileSync(join(dir, 'f.txt'), `${globals}\n\ntask=0\nhostname=localhost\nexec=local\ncommand=echo\narguments=${args}\n\ntask=1\nhostname=localhost\nexec=local\ncommand=false\n`);
  const r = await runUnderUmask000(TASKER, ['-r', 'f.txt', '-l', base, '-p', 'proj', '--auto-recovery', '--output-json', join(base, 'json', 'out.json')], dir);
  t.is(r.code, 10, r.out);
  const modes = modesUnder(base);
  for (const name of ['logs', 'tasks', 'recovery', 'json']) t.is(modes.get(name), 0o700, `${name}/ is 0700`);
  t.true([...modes.keys()].some((n) => n.startsWith('tasks/f_')), 'the task file was copied');
  t.true([...modes.keys()].some((n) => n.startsWith('recovery/')), 'the recovery state is there');
  t.true(modes.has('logs/project_proj_summary.log'));
  t.deepEqual(wrongModes(base), []);
  const written = [...modes.keys()].filter((n) => !n.startsWith('tasks/') && statSync(join(base, n)).isFile()).map((n) => readFileSync(join(base, n), 'utf8')).join('\n');
  for (const [name, value] of Object.entries(SECRETS)) {
    t.false(written.includes(value), `${name}'s value is not in the logs, summary, JSON or recovery state`);
    t.false(r.out.includes(value), `${name}'s value is not on the console`);
  }
  t.true(written.includes(`<masked len=${SECRETS.DB_PASS.length}>`));
});

test('tasker under umask 000: an existing 0755 BASE/logs and a 0644 project summary are made private', async (t) => {
  const dir = tempDir();
  const base = join(dir, 'base');
  mkdirSync(join(base, 'logs'), { recursive: true, mode: 0o755 });
  writeFileSync(join(base, 'logs', 'project_p_summary.log'), '#header\n', { mode: 0o644 });
  writeFileSync(join(dir, 'f.txt'), 'task=0\nhostname=localhost\nexec=local\ncommand=true\n');
  const r = await runUnderUmask000(TASKER, ['-r', 'f.txt', '-l', base, '-p', 'p'], dir);
  t.is(r.code, 0, r.out);
  t.deepEqual(wrongModes(base), []);
});

test('parallelr under umask 000: its logs, results, backups and worker registry are 0600 in 0700 dirs', async (t) => {
  const dir = tempDir();
  const home = join(dir, 'home');
  writeFileSync(join(dir, 'a.txt'), 'x\n');
  writeFileSync(join(dir, 'b.txt'), 'y\n');
  const r = await runUnderUmask000(PARALLELR, ['-T', dir, '-C', 'cat @TASK@', '-r', '--log-task-output'], dir, { PARALLELR_HOME: home });
  t.is(r.code, 0, r.out);
  const modes = modesUnder(home);
  t.true([...modes.keys()].some((n) => /results/.test(n)), `a results file was written: ${[...modes.keys()].join(', ')}`);
  t.deepEqual(wrongModes(home), []);
});

test('the config\'s secrets.names adds names: their values are masked in the log and JSON; a bad entry exits 20 naming the key', async (t) => {
  const dir = tempDir();
  const base = join(dir, 'base');
  writeFileSync(join(dir, 'tasker.yaml'), 'secrets:\n  names: [DEPLOY_CODE]\n');
  writeFileSync(join(dir, 'f.txt'), 'DEPLOY_CODE=code-value-77\n\ntask=0\nhostname=localhost\nexec=local\ncommand=echo\narguments=@DEPLOY_CODE@\n');
  const r = await runUnderUmask000(TASKER, ['-r', 'f.txt', '-l', base, '--output-json', join(base, 'out.json')], dir);
  t.is(r.code, 0, r.out);
  const logs = readdirSync(join(base, 'logs')).map((n) => readFileSync(join(base, 'logs', n), 'utf8')).join('');
  t.regex(logs, /<masked len=13>/);
  t.false(logs.includes('code-value-77'));
  t.false(readFileSync(join(base, 'out.json'), 'utf8').includes('code-value-77'));
  t.false(r.out.includes('code-value-77'));

  writeFileSync(join(dir, 'tasker.yaml'), 'secrets:\n  names: [DEPLOY_CODE, "not a name"]\n');
  const bad = await runUnderUmask000(TASKER, ['-r', 'f.txt', '-l', base], dir);
  t.is(bad.code, 20, bad.out);
  t.regex(bad.out, /tasker\.yaml:2:\d+: error\[CONFIG_INVALID\] secrets\.names\[1\] must be a variable name or a pattern/);
});
