/** Stage 1, load: read the task file within the size limits, parse it, merge its own options. */
import { isAbsolute, resolve } from 'node:path';
import type { CliIo } from '../../shared/cli-io.js';
import { splitArgs } from '../../shared/exec/index.js';
import { ExitCode } from '../../shared/exit-codes.js';
import { diagnosticOfProblem, exitCodeOfProblem } from '../../shared/input/index.js';
import { DEFAULT_INPUT_LIMITS, readBoundedFile, type InputLimits } from '../../shared/input/index.js';
import type { Diagnostic } from '../../shared/taskfile/diagnostics.js';
import { formatDiagnostic } from '../../shared/taskfile/diagnostics.js';
import type { FileArgument } from '../../shared/taskfile/ast.js';
import { parseTaskFile } from '../../shared/taskfile/parser.js';
import { escapeControlChars } from '../../shared/text/index.js';
import { RunLog } from '../engine/run-log.js';
import { defaultArgs, parseTaskerArgs, recoveryFileProblem, USAGE } from '../args/index.js';
import type { TaskerArgs } from '../args/index.js';
import type { LoadedRun, RunExit, RunRequest } from './types.js';

const FILE_FORBIDDEN = new Set(['--help', '-h', '--version', '-V', '--force-instance']);
// --max-file-size: the file was read before its options are known. --raw-output and
// --all-diagnostics: what reaches the operator's terminal is the operator's choice, not the file's.
const FILE_IGNORED = new Set(['--skip-security-validation', '--skip-validation', '--fire-and-forget', '--max-file-size', '--raw-output', '--all-diagnostics']);

/** `made.log`: the run log once it exists, so the caller can flush it whatever happens next. */
export function loadRun(request: RunRequest, rawIo: CliIo, made: { log?: RunLog }): LoadedRun | RunExit {
  const { args, explicit } = request;
  const shownFile = args.taskFile!;
  const taskFile = isAbsolute(shownFile) ? shownFile : resolve(rawIo.cwd, shownFile);
  const read = readBoundedFile(taskFile, inputLimits(args));
  if (!read.ok) {
    const { problem } = read;
    const shown = escapeControlChars(shownFile);
    const io = rawIo;
    if (problem.kind === 'missing') io.stderr.write(`tasker: error: task file not found: ${shown}\n`);
    else if (problem.kind === 'not-regular') io.stderr.write(`tasker: error: ${shown} is ${problem.fileType}, not a task file\n`);
    else if (problem.kind === 'unreadable') io.stderr.write(`tasker: error: cannot read task file ${shown}: ${escapeControlChars(problem.cause ?? problem.reason)}\n`);
    else io.stderr.write(`${formatDiagnostic(diagnosticOfProblem(problem), shownFile)}\ntasker: error: the task file was not read; nothing was run\n`);
    return { exitCode: exitCodeOfProblem(problem) };
  }
  const text = read.text;
  const level = args.logLevel ?? (args.debug ? 'DEBUG' : 'INFO');
  const log = new RunLog({ console: rawIo.stdout, level, rawConsole: args.rawOutput });
  made.log = log;
  const io = afterLog(rawIo, log);
  const parsed = parseTaskFile(text, shownFile);
  const diagnostics = [...parsed.diagnostics];
  const merged = mergeFileArgs(parsed.ast.fileArgs, args, explicit, diagnostics, log);
  if (merged) {
    io.stderr.write(escapeControlChars(`${USAGE}\ntasker: error: ${merged}\n`));
    return { exitCode: ExitCode.USAGE };
  }
  const badState = args.recoveryFile !== undefined ? recoveryFileProblem(resolve(rawIo.cwd, args.recoveryFile)) : undefined;
  if (badState) {
    io.stderr.write(escapeControlChars(`${USAGE}\ntasker: error: --recovery-file ${badState}\n`));
    return { exitCode: ExitCode.USAGE };
  }
  if (args.skipValidation) {
    args.skipTaskValidation = args.skipHostValidation = args.skipCommandValidation = args.skipSecurityValidation = true;
  }
  if (args.showEffectiveArgs) {
    io.stdout.write(`${JSON.stringify({ ...args, taskFile }, null, 2)}\n`);
    return { exitCode: ExitCode.SUCCESS };
  }
  return { args, io, taskFile, text, ast: parsed.ast, diagnostics, log };
}

/** The size limits of the files this run reads: `--max-file-size`, lines at most 1 MiB. */
export function inputLimits(args: TaskerArgs): InputLimits {
  if (args.maxFileSize === undefined) return DEFAULT_INPUT_LIMITS;
  return { maxFileBytes: args.maxFileSize, maxLineBytes: Math.min(args.maxFileSize, DEFAULT_INPUT_LIMITS.maxLineBytes) };
}

/** Anything written through the returned io (diagnostics, plans, prompts) comes after the lines already logged. */
function afterLog(raw: CliIo, log: RunLog): CliIo {
  const after = <A extends unknown[], R>(f: (...a: A) => R) => (...a: A): R => {
    log.flush();
    return f(...a);
  };
  return {
    ...raw,
    stdout: { write: after((t: string) => raw.stdout.write(t)) },
    stderr: { write: after((t: string) => raw.stderr.write(t)) },
    readLine: raw.readLine && after(raw.readLine),
  };
}

/**
 * Options written at the top of the task file merge under the command line. Returns the usage
 * error that ends the run (a word that is not an option), else undefined.
 */
function mergeFileArgs(fileArgs: readonly FileArgument[], args: TaskerArgs, explicit: Set<keyof TaskerArgs>, diagnostics: Diagnostic[], log: RunLog): string | undefined {
  for (const fa of fileArgs) {
    const words = splitArgs(fa.text).args;
    const name = words[0]?.split('=')[0] ?? '';
    if (FILE_FORBIDDEN.has(name)) {
      diagnostics.push({ code: 'FORBIDDEN_FILE_OPTION', severity: 'error', message: `${name} cannot be given in a task file`, line: fa.line, col: 1, length: fa.text.length, hint: 'give it on the command line' });
      continue;
    }
    if (FILE_IGNORED.has(name)) {
      log.warn(`${args.taskFile}:${fa.line}: ${name} in a task file is ignored; give it on the command line`);
      continue;
    }
    if (/^-[a-zA-Z]{2,}/.test(name) || (/^-[a-z-]{3,}/.test(name) && !name.startsWith('--'))) {
      return `${args.taskFile}:${fa.line}: '${name}' is not an option (long options start with --)`;
    }
    try {
      const fromFile = parseTaskerArgs(words, defaultArgs());
      for (const [k, v] of Object.entries(fromFile) as [keyof TaskerArgs, unknown][]) {
        if (k === 'taskFile' || explicit.has(k)) continue;
        if (typeof v === 'boolean') (args[k] as boolean) = (args[k] as boolean) || v;
        else if (v !== undefined) (args as unknown as Record<string, unknown>)[k] = v;
      }
    } catch (e) {
      diagnostics.push({ code: 'BAD_FILE_OPTION', severity: 'error', message: (e as Error).message, line: fa.line, col: 1, length: fa.text.length });
    }
  }
  return undefined;
}
