import test from 'ava';
import { spawn, type ChildProcess } from 'node:child_process';
import { createHash } from 'node:crypto';
import { existsSync, mkdirSync, mkdtempSync, readdirSync, readFileSync, statSync, writeFileSync } from 'node:fs';
import { hostname, tmpdir } from 'node:os';
import { dirname, join } from 'node:path';
import { createInterface } from 'node:readline';
import { fileURLToPath } from 'node:url';
import { acquireInstanceLock, lockPath, workflowHash } from '../../../core/instance/index.js';

const FIXTURE = join(dirname(fileURLToPath(import.meta.url)), 'fixtures', 'hold-lock.ts');
const GLOBALS = new Map([['ENV', 'prod'], ['API_TOKEN', 'tok3n']]);

interface Reply {
  pid: number;
  ok: boolean;
  message?: string;
  warning?: string;
  path: string;
  holder?: { pid: number; hostname: string; task_file: string };
}

function setup(): { home: string; taskFile: string; text: string } {
  const home = mkdtempSync(join(tmpdir(), 'tasker-lock-'));
  const taskFile = join(home, 'wf.txt');
  const text = 'task=0\nhostname=localhost\ncommand=true\n';
  writeFileSync(taskFile, text);
  return { home, taskFile, text };
}

/** Start a fixture process and wait for its one-line verdict. */
async function contender(home: string, taskFile: string, ...flags: string[]): Promise<{ child: ChildProcess; reply: Reply }> {
  const child = spawn(process.execPath, ['--import', 'tsx', FIXTURE, home, taskFile, ...flags], { stdio: ['pipe', 'pipe', 'inherit'] });
  const [line] = await Promise.race([
    new Promise<string[]>((ok) => createInterface({ input: child.stdout! }).once('line', (l) => ok([l]))),
    new Promise<never>((_, no) => child.once('exit', (c) => no(new Error(`fixture exited with ${c} before replying`)))),
  ]);
  return { child, reply: JSON.parse(line!) as Reply };
}

async function stop(child: ChildProcess, how: 'release' | 'kill'): Promise<void> {
  if (child.exitCode !== null || child.signalCode !== null) return;
  const exited = new Promise((ok) => child.once('exit', ok));
  if (how === 'release') child.stdin!.end();
  else child.kill('SIGKILL');
  await exited;
}

async function deadPid(): Promise<number> {
  const c = spawn('true');
  await new Promise((ok) => c.once('exit', ok));
  return c.pid!;
}

test('hash = first 16 hex of sha256(sha256(file) + ":" + JSON of sorted globals)', (t) => {
  const fileHash = createHash('sha256').update('abc').digest('hex');
  const expected = createHash('sha256').update(`${fileHash}:{"A":"1","B":"2"}`).digest('hex').slice(0, 16);
  t.is(workflowHash('abc', new Map([['B', '2'], ['A', '1']])), expected);
  t.not(workflowHash('abc', new Map([['A', '1']])), workflowHash('abc', new Map([['A', '2']])), 'other globals, other lock');
});

test('two concurrent processes: the second is refused with a message naming the holder', async (t) => {
  const { home, taskFile } = setup();
  const first = await contender(home, taskFile);
  t.teardown(() => stop(first.child, 'kill'));
  t.true(first.reply.ok);
  const path = first.reply.path;
  t.is(statSync(path).mode & 0o777, 0o600);
  t.is(statSync(dirname(path)).mode & 0o777, 0o700);
  t.is(dirname(path), join(home, 'TASKER', 'locks'));
  const content = JSON.parse(readFileSync(path, 'utf8')) as Record<string, unknown>;
  t.like(content, { pid: first.reply.pid, task_file: taskFile, hostname: hostname(), project: 'p', global_vars_snapshot: { ENV: 'prod', API_TOKEN: '<masked len=5>' } });

  const second = await contender(home, taskFile);
  await new Promise((ok) => second.child.once('exit', ok));
  t.false(second.reply.ok);
  t.is(second.reply.holder!.pid, first.reply.pid);
  t.regex(second.reply.message!, new RegExp(`^Another instance of this workflow is already running: PID ${first.reply.pid} on `));
  t.regex(second.reply.message!, /use --force-instance/);

  await stop(first.child, 'release');
  t.false(existsSync(path), 'release removes the lock');
  const third = await contender(home, taskFile);
  t.true(third.reply.ok, 'free again after release');
  await stop(third.child, 'release');
});

test('a holder killed with SIGKILL leaves a stale lock that the next run clears', async (t) => {
  const { home, taskFile } = setup();
  const first = await contender(home, taskFile);
  t.true(first.reply.ok);
  await stop(first.child, 'kill');
  t.true(existsSync(first.reply.path), 'a killed holder cannot clean up');
  const next = await contender(home, taskFile);
  t.teardown(() => stop(next.child, 'kill'));
  t.true(next.reply.ok);
  t.is(next.reply.warning, `Removed a stale instance lock of PID ${first.reply.pid} (process ${first.reply.pid} no longer exists)`);
});

test('a lock whose pid now belongs to another program is stale', async (t) => {
  const { home, taskFile, text } = setup();
  const sleeper = spawn('sleep', ['60']);
  t.teardown(() => sleeper.kill('SIGKILL'));
  const path = lockPath(home, workflowHash(text, GLOBALS));
  mkdirSync(dirname(path), { recursive: true });
  writeFileSync(path, JSON.stringify({ pid: sleeper.pid, hostname: hostname(), started_at: 'then', task_file: taskFile }));
  const r = await acquireInstanceLock({ taskFile, taskText: text, globals: GLOBALS, home });
  t.true(r.ok);
  if (r.ok) {
    t.regex(r.warning!, new RegExp(`PID ${sleeper.pid} now belongs to another program \\(sleep 60\\)`));
    r.release();
  }
});

test('many contenders racing for one stale lock: exactly one wins', async (t) => {
  const { home, taskFile, text } = setup();
  const path = lockPath(home, workflowHash(text, GLOBALS));
  mkdirSync(dirname(path), { recursive: true });
  writeFileSync(path, JSON.stringify({ pid: await deadPid(), hostname: hostname(), started_at: 'then', task_file: taskFile }));
  const all = await Promise.all(Array.from({ length: 4 }, () => contender(home, taskFile)));
  t.teardown(() => Promise.all(all.map((c) => stop(c.child, 'kill'))));
  const winners = all.filter((c) => c.reply.ok);
  t.is(winners.length, 1, all.map((c) => JSON.stringify(c.reply)).join('\n'));
  for (const c of all.filter((x) => !x.reply.ok)) t.is(c.reply.holder!.pid, winners[0]!.reply.pid);
  t.deepEqual(readdirSync(dirname(path)).filter((f) => f !== `workflow_${workflowHash(text, GLOBALS)}.lock`), [], 'no temp or claim files left');
});

test('--force-instance takes over a live lock with a warning; the old holder then does not remove it', async (t) => {
  const { home, taskFile } = setup();
  const first = await contender(home, taskFile);
  t.true(first.reply.ok);
  const forced = await contender(home, taskFile, '--force');
  t.teardown(() => stop(forced.child, 'kill'));
  t.true(forced.reply.ok);
  t.regex(forced.reply.warning!, new RegExp(`--force-instance: took over the instance lock .* from PID ${first.reply.pid}`));
  await stop(first.child, 'release');
  t.is((JSON.parse(readFileSync(forced.reply.path, 'utf8')) as { pid: number }).pid, forced.reply.pid);
});

test('different globals are different instances', async (t) => {
  const { home, taskFile, text } = setup();
  const a = await acquireInstanceLock({ taskFile, taskText: text, globals: new Map([['ENV', 'a']]), home });
  const b = await acquireInstanceLock({ taskFile, taskText: text, globals: new Map([['ENV', 'b']]), home });
  const again = await acquireInstanceLock({ taskFile, taskText: text, globals: new Map([['ENV', 'a']]), home });
  t.true(a.ok);
  t.true(b.ok);
  t.false(again.ok, 'the same process holding it counts as alive');
  if (a.ok) a.release();
  if (b.ok) b.release();
  t.deepEqual(readdirSync(join(home, 'TASKER', 'locks')), []);
});
