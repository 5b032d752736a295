/** Small task files for engine tests, run by `tasker` in-process, read back through --output-json. */
import { existsSync, readFileSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import type { ExecutionContext } from 'ava';
import type { RunResult } from '../../core/run/index.js';
import { FIXTURE_BIN, spawnTasker, type CliRun } from './run-cli.js';
import { runTaskerInProcess } from './tasker.js';

/** One plain task in task-file syntax. */
export function task(id: number, command: string, args: string, extra = ''): string {
  return `task=${id}\nhostname=localhost\nexec=local\ncommand=${command}\narguments=${args}\n${extra}\n`;
}

/** The --output-json document (the type the engine writes). */
export type RunJson = RunResult;

/**
 * Runs `n` tasks that each append "start i" then "end i" to `dir/trace` (`tasker -r`, with
 * `extra` arguments) and asserts that the run succeeded and ran them one after another, in
 * order, once each. Returns the run.
 */
export async function runTracedSequence(t: ExecutionContext, dir: string, n: number, extra: string[] = []): Promise<{ r: CliRun; json: RunJson }> {
  const trace = join(dir, 'trace');
  let file = '';
  for (let i = 0; i < n; i++) file += task(i, 'sh', `-c "echo start ${i} >> ${trace}; echo end ${i} >> ${trace}"`);
  writeFileSync(join(dir, 'f.txt'), file);
  const run = await runTaskFile(dir, extra);
  t.is(run.r.code, 0, run.r.stderr);
  t.deepEqual(readFileSync(trace, 'utf8').trim().split('\n'), Array.from({ length: n }, (_, i) => [`start ${i}`, `end ${i}`]).flat());
  t.deepEqual(run.json.execution_summary.execution_path, Array.from({ length: n }, (_, i) => i));
  return run;
}

export function readRunJson(dir: string): RunJson {
  return JSON.parse(readFileSync(join(dir, 'o.json'), 'utf8')) as RunJson;
}

/**
 * `tasker -r f.txt` in `dir` (logs in dir/logs, JSON in dir/o.json, plus `extra` arguments),
 * in-process; with `bin` the built bin runs it (a test that signals the run by its PID).
 */
export async function runTaskFile(
  dir: string,
  extra: string[] = [],
  opts: { onStdout?: (text: string, pid: number) => void; bin?: boolean } = {},
): Promise<{ r: CliRun; json: RunJson }> {
  const argv = ['-r', 'f.txt', '-l', join(dir, 'logs'), '--output-json', 'o.json', ...extra];
  const r = opts.bin ? await spawnTasker(argv, { cwd: dir, onStdout: opts.onStdout }) : await runTaskerInProcess(argv, { cwd: dir, onStdout: opts.onStdout });
  if (!existsSync(join(dir, 'o.json'))) throw new Error(`no JSON result; exit ${r.code}:\n${r.stdout}\n${r.stderr}`);
  return { r, json: readRunJson(dir) };
}

/** A local task running the fixture `fail-until STATE N [HANG]` (fails until its Nth run), plus extra lines. */
export function flaky(id: number, state: string, n: number, ...extra: string[]): string {
  return [`task=${id}`, 'hostname=localhost', 'exec=local', `command=${join(FIXTURE_BIN, 'fail-until')}`, `arguments=${state} ${n}`, ...extra, ''].join('\n');
}

/** A local `echo TEXT` task, plus extra lines. */
export function echo(id: number, text: string, ...extra: string[]): string {
  return [`task=${id}`, 'hostname=localhost', 'exec=local', 'command=echo', `arguments=${text}`, ...extra, ''].join('\n');
}
