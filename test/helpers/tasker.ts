/**
 * Test helpers for the task-file language and the `tasker` CLI: validate a text the way the CLI does,
 * run `runTasker` in-process with a fake io, or spawn the built CLI.
 */
import { mkdtempSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import type { CliIo } from '../../shared/cli-io.js';
import { defaultRegistry, execTypeNames } from '../../shared/exec/exec-types.js';
import type { Diagnostic } from '../../shared/taskfile/diagnostics.js';
import { formatDiagnostic, sortDiagnostics } from '../../shared/taskfile/diagnostics.js';
import type { Workflow } from '../../shared/taskfile/model.js';
import { parseTaskFile } from '../../shared/taskfile/parser.js';
import { buildWorkflow } from '../../shared/taskfile/validate.js';
import { runTasker } from '../../controller/cli/tasker-main.js';
import { FIXTURE_BIN, ROOT, spawnTasker } from './run-cli.js';
import type { CliRun } from './run-cli.js';

export { FIXTURE_BIN, ROOT, spawnTasker };
export type { CliRun };

/** Exec type names of the built-in registry, lower-cased, as the CLI passes them to buildWorkflow. */
export const EXEC_TYPES: ReadonlySet<string> = new Set(execTypeNames(defaultRegistry()).map((n) => n.toLowerCase()));

export interface Checked {
  workflow: Workflow;
  /** Parser and validator diagnostics together, sorted like the CLI prints them. */
  diagnostics: Diagnostic[];
  lines: string[];
}

/** Parse and validate a task-file text like the CLI does (empty environment unless given). */
export function check(text: string, env: NodeJS.ProcessEnv = {}): Checked {
  const parsed = parseTaskFile(text, 'test.txt');
  const built = buildWorkflow(parsed.ast, { env, execTypes: EXEC_TYPES });
  return { workflow: built.workflow, diagnostics: sortDiagnostics([...parsed.diagnostics, ...built.diagnostics]), lines: parsed.ast.lines };
}

/** Every diagnostic of a text, formatted like the CLI prints them, joined by newlines. */
export function formatAll(text: string, fileName: string, env: NodeJS.ProcessEnv = {}): string {
  const { diagnostics, lines } = check(text, env);
  return diagnostics.map((d) => formatDiagnostic(d, fileName, lines)).join('\n');
}

/** Lines of a task file from a list of lines (no trailing newline games). */
export const file = (...lines: string[]): string => `${lines.join('\n')}\n`;

export interface FakeIo {
  io: CliIo;
  stdout: () => string;
  stderr: () => string;
}

/** A CliIo that records what the CLI writes. */
export function fakeIo(opts: { cwd: string; env?: NodeJS.ProcessEnv; isTTY?: boolean }): FakeIo {
  let out = '';
  let err = '';
  return {
    io: {
      stdout: { write: (s: string) => (out += s) },
      stderr: { write: (s: string) => (err += s) },
      env: opts.env ?? {},
      cwd: opts.cwd,
      isTTY: opts.isTTY ?? false,
    },
    stdout: () => out,
    stderr: () => err,
  };
}

export interface InProcessRun {
  code: number;
  stdout: string;
  stderr: string;
}

/**
 * Run `tasker` in-process. The environment is minimal: PATH (with the fixture bin folder first, so
 * `pbrun` and friends exist), HOME and TASK_EXECUTOR_LOG inside `cwd`, plus `env`.
 */
export async function runTaskerIn(cwd: string, argv: readonly string[], env: NodeJS.ProcessEnv = {}): Promise<InProcessRun> {
  const fake = fakeIo({
    cwd,
    env: { PATH: `${FIXTURE_BIN}:${process.env['PATH'] ?? '/usr/bin:/bin'}`, HOME: cwd, TASK_EXECUTOR_LOG: join(cwd, 'logs'), ...env },
  });
  const code = await runTasker(argv, fake.io);
  return { code, stdout: fake.stdout(), stderr: fake.stderr() };
}

/** A process environment as a child would get it: `undefined` entries dropped, like spawn does. */
function childEnv(env: NodeJS.ProcessEnv): NodeJS.ProcessEnv {
  return Object.fromEntries(Object.entries(env).filter(([, v]) => v !== undefined));
}

/**
 * `tasker ARGS` in-process, with what `spawnTasker` would give the built bin: the test process's
 * environment with the fixture bin folder first on PATH, plus `env` (an `undefined` entry removes
 * a variable), run in `cwd`. cwd and env go through the io, never process.chdir or process.env, so
 * the tests of one file can run at once. Returns spawnTasker's shape: `signal` is null and `pid`
 * is this process (signals, process groups and locks between processes need the bin: spawnTasker).
 * `onStdout` gets the console output so far after each write.
 */
export async function runTaskerInProcess(
  args: readonly string[],
  opts: { cwd: string; env?: NodeJS.ProcessEnv; onStdout?: (text: string, pid: number) => void },
): Promise<CliRun> {
  const env = Object.freeze(childEnv({ ...process.env, PATH: `${FIXTURE_BIN}:${process.env['PATH']}`, ...opts.env }));
  let stdout = '';
  let stderr = '';
  const io: CliIo = {
    stdout: {
      write: (s: string) => {
        stdout += s;
        opts.onStdout?.(stdout, process.pid);
        return true;
      },
    },
    stderr: { write: (s: string) => (stderr += s) },
    env,
    cwd: opts.cwd,
    isTTY: false,
  };
  const code = await runTasker(args, io);
  return { code, signal: null, stdout, stderr, pid: process.pid };
}

/** A fresh temp directory holding the given files. */
export function tempWith(files: Record<string, string> = {}, prefix = 'tasker-cli-'): string {
  const dir = mkdtempSync(join(tmpdir(), prefix));
  for (const [name, text] of Object.entries(files)) writeFileSync(join(dir, name), text);
  return dir;
}
