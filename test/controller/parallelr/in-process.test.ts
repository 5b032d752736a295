import test from 'ava';
import { readdirSync, readFileSync } from 'node:fs';
import { join } from 'node:path';
import type { CliIo } from '../../../shared/cli-io.js';
import { run } from '../../../controller/parallelr/cli.js';
import { parseCommandTemplate } from '../../../controller/parallelr/command.js';
import { discoverTaskFiles, fileEntries } from '../../../controller/parallelr/discover.js';
import { taskerArguments } from '../../../controller/parallelr/in-process.js';
import { runParallel } from '../../../controller/parallelr/pool.js';
import { fakeIo, makeSandbox, readJsonl, REPO, resultsPathFrom, TSX, writeFiles } from './helpers.js';

const taskFile = (command: string, args = '') => `task=0\nhostname=localhost\ncommand=${command}\narguments=${args}\nexec=local\n`;

function taskerSandbox() {
  const sb = makeSandbox();
  writeFiles(sb.tasks, { 'a.txt': taskFile('echo', 'alpha'), 'b.txt': taskFile('echo', 'beta'), 'c.txt': taskFile('false') });
  return sb;
}

test('taskerArguments recognises tasker itself and nothing else', (t) => {
  t.deepEqual(taskerArguments(['tasker', '-r', 'f']), ['-r', 'f']);
  t.deepEqual(taskerArguments(['/opt/tasker/bin/tasker', 'f']), ['f']);
  t.deepEqual(taskerArguments(['node', '/x/dist/controller/cli/tasker.js', '-r', 'f']), ['-r', 'f']);
  t.deepEqual(taskerArguments(['/x/dist/controller/cli/tasker.cjs', '-r', 'f']), ['-r', 'f']);
  t.deepEqual(taskerArguments(['node', '/x/dist/controller/cli/tasker.cjs', 'f']), ['f']);
  t.is(taskerArguments(['node', '/x/dist/controller/cli/parallelr.cjs', 'f']), undefined);
  t.is(taskerArguments(['python3', 'tasker']), undefined);
  t.is(taskerArguments(['taskerx', 'f']), undefined);
});

test('tasker template runs in-process with the same records, per-file logs and project summary as spawning tasker', async (t) => {
  const sb = taskerSandbox();
  const inIo = fakeIo(sb);
  const inCode = await run(['-T', 'tasks', '-C', 'tasker -r @TASK@ -p inproc', '-r', '-m', '2'], inIo);
  const spIo = fakeIo(sb);
  const spCode = await run(['-T', 'tasks', '-C', `${process.execPath} --import ${TSX} ${join(REPO, 'controller/cli/tasker.ts')} -r @TASK@ -p spawned`, '-r', '-m', '2'], spIo);
  t.is(inCode, 1, inIo.out() + inIo.err());
  t.is(spCode, 1, spIo.out() + spIo.err());
  const mainLog = (out: string) => readFileSync(/Main log: (.+)/.exec(out)![1]!, 'utf8');
  t.regex(mainLog(inIo.out()), /using the in-process engine/);
  t.notRegex(mainLog(spIo.out()), /using the in-process engine/);
  const outcome = (out: string) =>
    readJsonl(resultsPathFrom(out))
      .map((r) => `${r.task_file} ${r.status} ${r.exit_code}`)
      .sort();
  t.deepEqual(outcome(inIo.out()), ['tasks/a.txt SUCCESS 0', 'tasks/b.txt SUCCESS 0', 'tasks/c.txt FAILED 10']);
  t.deepEqual(outcome(inIo.out()), outcome(spIo.out()));
  const logs = readdirSync(join(sb.home, 'TASKER', 'logs'));
  for (const name of ['a', 'b', 'c']) t.is(logs.filter((l) => l.startsWith(`${name}_`) && l.endsWith('.log')).length, 2, `one ${name} log per mode`);
  const summary = (p: string) => readFileSync(join(sb.home, 'TASKER', 'logs', `project_${p}_summary.log`), 'utf8').trimEnd().split('\n');
  t.is(summary('inproc').length, 4, 'header + one row per task file');
  t.is(summary('spawned').length, 4);
  t.deepEqual(summary('inproc').slice(1).map((l) => l.split('\t')[6]).sort(), ['FAILURE', 'SUCCESS', 'SUCCESS']);
});

test('runParallel counts in-process runs, and a parallelr timeout stops an in-process tasker (TIMEOUT, 124)', async (t) => {
  const sb = taskerSandbox();
  writeFiles(sb.tasks, { 'd.txt': taskFile('sleep', '100') });
  const found = discoverTaskFiles(['tasks'], { cwd: sb.dir });
  if ('error' in found) return t.fail(found.error);
  const parsed = parseCommandTemplate('tasker -r @TASK@');
  if ('error' in parsed) return t.fail(parsed.error);
  const io: CliIo = { ...fakeIo(sb), env: sb.env };
  const result = await runParallel(
    { sessionId: 's', entries: fileEntries(found.files), template: parsed.template, maxWorkers: 4, timeoutSeconds: 1, workspace: { dir: sb.dir, isolated: false } },
    io,
  );
  t.is(result.inProcessCount, 4);
  const d = result.records.find((r) => r.task_file === 'tasks/d.txt')!;
  t.is(d.status, 'TIMEOUT');
  t.is(d.exit_code, 124);
});
