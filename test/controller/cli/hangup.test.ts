// Built bins on a real pseudo-terminal that hangs up mid-run (docs/hostile-input.md, "Output nobody reads").
/**
 * `script` (util-linux) gives the run a pseudo-terminal; SIGKILLing `script` closes its master side,
 * so the terminal hangs up and the kernel sends SIGHUP to the run, as when an SSH session drops.
 * The run must carry on to its end and exit with its own code: no death by SIGHUP, and no abort
 * from Node restoring a terminal that is gone. A shell that ignores the hangup waits for the bin
 * and writes its exit code down.
 */
import test from 'ava';
import { spawn } from 'node:child_process';
import { existsSync, mkdirSync, readFileSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { ROOT, tempDir } from '../../helpers/run-cli.js';
import { eventually } from '../../helpers/agent-process.js';

const TASKER = join(ROOT, 'dist', 'controller', 'cli', 'tasker.cjs');
const PARALLELR = join(ROOT, 'dist', 'controller', 'cli', 'parallelr.cjs');

/** One argument for `sh -c`. */
const q = (arg: string) => `'${arg.replace(/'/g, "'\\''")}'`;

interface HangUp {
  /** The bin's exit code, when a shell ignoring the hangup waited for it. */
  code?: string;
  /** What the bin wrote on stderr so far. */
  stderr(): string;
}

/** `line`, run by /bin/sh on a new pseudo-terminal (`script`): the terminal, what it has shown so far, and its end. */
function onTerminal(line: string, env: NodeJS.ProcessEnv, scriptFlags = '-qfc') {
  const term = spawn('script', [scriptFlags, line, '/dev/null'], { stdio: ['pipe', 'pipe', 'pipe'], env: { ...process.env, SHELL: '/bin/sh', ...env } });
  let out = '';
  term.stdout.on('data', (d: Buffer) => (out += d.toString()));
  const closed = new Promise<number | null>((resolve) => term.on('close', resolve));
  return { term, out: () => out, closed };
}

/**
 * Run `argv` on a new pseudo-terminal and hang the terminal up once `ready` (given what the
 * terminal shows) holds. As the session leader the bin itself gets SIGHUP (`exec`, as a login
 * shell's last command); else it runs under a shell that ignores the hangup, waits for it and
 * writes its exit code down.
 */
async function hangUpDuring(dir: string, argv: string[], ready: (shown: string) => boolean, env: NodeJS.ProcessEnv, leader: boolean): Promise<HangUp> {
  const codeFile = join(dir, 'exit-code');
  const errFile = join(dir, 'stderr');
  const command = `${argv.map(q).join(' ')} 2>${q(errFile)}`;
  const { term, out, closed } = onTerminal(leader ? `exec ${command}` : `trap "" HUP; ${command}; echo $? > ${q(codeFile)}`, env);
  await eventually(() => ready(out()));
  term.kill('SIGKILL');
  await closed;
  if (!leader) {
    await eventually(() => existsSync(codeFile) && readFileSync(codeFile, 'utf8').endsWith('\n'));
    return { code: readFileSync(codeFile, 'utf8').trim(), stderr: () => readFileSync(errFile, 'utf8') };
  }
  return { stderr: () => readFileSync(errFile, 'utf8') };
}

function changeFile(dir: string, started: string): string {
  const file = join(dir, 'change.txt');
  writeFileSync(file, [
    `task=0\nhostname=localhost\nexec=local\ncommand=touch\narguments=${started}\n`,
    'task=1\nhostname=localhost\nexec=local\ncommand=sleep\narguments=2\n',
    `task=2\nhostname=localhost\nexec=local\ncommand=touch\narguments=${join(dir, 'last-task-ran')}\n`,
  ].join('\n'));
  return file;
}

test('tasker -r that gets SIGHUP (its terminal hung up, it leads the session) carries on to its end and writes its JSON result', async (t) => {
  const dir = tempDir('hangup-');
  const started = join(dir, 'task-0-started');
  const json = join(dir, 'result.json');
  const r = await hangUpDuring(dir, [TASKER, '-r', changeFile(dir, started), '--output-json', json], () => existsSync(started), { HOME: dir }, true);
  await eventually(() => existsSync(json));
  t.true(existsSync(join(dir, 'last-task-ran')), 'the task after the hangup ran');
  const result = JSON.parse(readFileSync(json, 'utf8')) as { task_results: Record<string, { success: boolean }> };
  t.deepEqual(Object.entries(result.task_results).map(([id, v]) => [id, v.success]), [['0', true], ['1', true], ['2', true]]);
  t.notRegex(r.stderr(), /Assertion|internal error/);
});

test('tasker -r under a shell that ignores the hangup: the terminal is gone, yet the exit code is the run\'s (not an abort as Node restores the terminal)', async (t) => {
  const dir = tempDir('hangup-');
  const started = join(dir, 'task-0-started');
  const r = await hangUpDuring(dir, [TASKER, '-r', changeFile(dir, started)], () => existsSync(started), { HOME: dir }, false);
  t.is(r.code, '0', r.stderr());
  t.true(existsSync(join(dir, 'last-task-ran')), 'the task after the hangup ran');
  t.notRegex(r.stderr(), /Assertion|internal error/);
});

test('parallelr -r that gets SIGHUP mid-run runs every file and writes every results row', async (t) => {
  const dir = tempDir('hangup-');
  const files = join(dir, 'files');
  mkdirSync(files);
  const started = join(dir, 'first-started');
  for (let i = 1; i <= 4; i++) writeFileSync(join(files, `j${i}.sh`), `touch ${started}; sleep 1; touch ${join(dir, `done${i}`)}\n`);
  const results = join(dir, 'results.jsonl');
  const r = await hangUpDuring(dir, [PARALLELR, '-T', files, '-C', 'sh @TASK@', '-r', '-m', '2', '--results', results], () => existsSync(started), { HOME: dir, PARALLELR_HOME: join(dir, 'home') }, true);
  await eventually(() => existsSync(results) && readFileSync(results, 'utf8').trim().split('\n').length === 4);
  for (let i = 1; i <= 4; i++) t.true(existsSync(join(dir, `done${i}`)), `file ${i} ran`);
  t.notRegex(r.stderr(), /Assertion|internal error/);
});

/** `argv` on a new pseudo-terminal; the answer is typed once the prompt shows. */
async function answerPrompt(argv: string[], prompt: string, answer: string, env: NodeJS.ProcessEnv): Promise<{ code: number | null; out: string }> {
  const { term, out, closed } = onTerminal(argv.map(q).join(' '), env, '-qfec');
  await eventually(() => out().includes(prompt));
  term.stdin.write(answer);
  return { code: await closed, out: out() };
}

test('tasker --show-plan asks on the terminal: "y" runs the file, "n" cancels it', async (t) => {
  const dir = tempDir('hangup-');
  const started = join(dir, 'task-0-started');
  const file = changeFile(dir, started);
  const no = await answerPrompt([TASKER, '-r', file, '--show-plan'], 'Proceed with execution? [y/N] ', 'n\n', { HOME: dir });
  t.is(no.code, 0, no.out);
  t.regex(no.out, /Execution cancelled\./);
  t.false(existsSync(started), 'nothing ran');
  const yes = await answerPrompt([TASKER, '-r', file, '--show-plan'], 'Proceed with execution? [y/N] ', 'y\n', { HOME: dir });
  t.is(yes.code, 0, yes.out);
  t.true(existsSync(join(dir, 'last-task-ran')), 'the file ran');
});

test('tasker --show-plan whose terminal hangs up at the prompt: no answer, so nothing runs, and no internal error', async (t) => {
  const dir = tempDir('hangup-');
  const started = join(dir, 'task-0-started');
  const r = await hangUpDuring(dir, [TASKER, '-r', changeFile(dir, started), '--show-plan'], (shown) => shown.includes('Proceed with execution? [y/N] '), { HOME: dir }, false);
  t.is(r.code, '0');
  t.notRegex(r.stderr(), /internal error|Error:/);
  t.false(existsSync(started), 'nothing ran');
});
