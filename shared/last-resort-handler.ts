/**
 * The last resort of every bin (`tasker`, `parallelr`, `tasker-agent`): an exception or rejection
 * nothing else caught ends the process with ONE line naming the internal error and exit 70, never a
 * stack trace on the operator's terminal. It writes synchronously and exits at once: after an
 * unexpected throw the program's state is unknown, so nothing else is run.
 *
 * What it cannot catch is V8 running out of heap (a fatal error, not an exception); the tools avoid
 * it by bounding what they read and keep (shared/input/read-bounded-file.ts, capped captures).
 */
import { writeSync } from 'node:fs';
import { ExitCode } from './exit-codes.js';
import { escapeControlChars, firstLineOf } from './text/index.js';

const MESSAGE_MAX = 300;

/** `Name: first line of the message`, printable and bounded. */
export function describeInternalError(error: unknown): string {
  let text: string;
  if (error instanceof Error) text = `${error.name}: ${error.message}`;
  else {
    try {
      text = String(error);
    } catch {
      text = typeof error;
    }
  }
  const first = text.split('\n', 1)[0]!;
  return escapeControlChars(first.length > MESSAGE_MAX ? `${first.slice(0, MESSAGE_MAX)}…` : first);
}

/** The one line, written straight to fd 2, then exit 70. */
export function failInternally(program: string, error: unknown): never {
  try {
    writeSync(2, `${program}: internal error: ${describeInternalError(error)} (please report this)\n`);
  } catch {
    // stderr is gone: the exit code still tells.
  }
  process.exit(ExitCode.INTERNAL_ERROR);
}

/**
 * Install the handlers; call first thing in a bin.
 *
 * Output that cannot be written is no defect: a reader of stdout or stderr that went away
 * (`tasker -r f | head`, a pager quit, EPIPE), or a file it is redirected to on a full disk
 * (ENOSPC). What would have been printed is dropped and the program carries on: a run half done is
 * never abandoned because nobody can read its screen; its logs, results and exit code are as they
 * would have been (docs/hostile-input.md, "Output nobody reads"). A stdout that fails for another
 * reason than a closed pipe is said once on stderr.
 */
export function installLastResortHandler(program: string): void {
  process.on('uncaughtException', (error) => failInternally(program, error));
  process.on('unhandledRejection', (reason) => failInternally(program, reason));
  dropOutputThatCannotBeWritten(program);
}

function dropOutputThatCannotBeWritten(program: string): void {
  let stdoutLost = false;
  process.stdout.on('error', (error: NodeJS.ErrnoException) => {
    if (stdoutLost) return;
    stdoutLost = true;
    if (error.code === 'EPIPE') return;
    try {
      writeSync(2, `${program}: cannot write to stdout (${escapeControlChars(firstLineOf(error))}): its output is dropped; the run carries on\n`);
    } catch {
      // stderr cannot be written either.
    }
  });
  process.stderr.on('error', () => {
    // Nowhere left to say it.
  });
}
