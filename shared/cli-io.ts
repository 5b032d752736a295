import { writeSync } from 'node:fs';
import { isatty } from 'node:tty';
import { ExitCode } from './exit-codes.js';
import { carryOnAfterHangup, exitCleanlyFromDeadTerminal } from './hangup.js';
import { fanOutAbortController } from './when-aborted.js';
import { endKillGraces } from './kill-grace.js';
import type { HostTallies } from './hosts/index.js';

/**
 * The world a CLI `run(argv, io)` function sees. The bin files pass the real process; tests and the
 * in-process parallelr pass their own, so a CLI never touches `process` directly.
 */
export interface CliIo {
  stdout: { write(text: string): unknown };
  stderr: { write(text: string): unknown };
  env: NodeJS.ProcessEnv;
  cwd: string;
  /** Whether stdin/stdout are a terminal (prompts, progress bars). */
  isTTY: boolean;
  /** Read one line from the user (confirmation prompts); undefined when there is no terminal. */
  readLine?: (prompt: string) => Promise<string | undefined>;
  /** Aborted with reason 'SIGINT' or 'SIGTERM' when the run must stop. */
  signal?: AbortSignal;
  /**
   * Aborted by a second SIGINT/SIGTERM, once `signal` has: the operator will not wait for a graceful
   * end. Only waits with a bound of their own listen (a distributed run's wait for its agents'
   * reports); what was recorded stays. The process groups still in their kill grace get SIGKILL
   * at the same moment (shared/kill-grace.ts).
   */
  hurry?: AbortSignal;
  /**
   * Between SIGTERM and SIGKILL of a stopped task's process group (default 2 s): a caller's own
   * grace (parallelr's `kill_grace_seconds`, an agent's `--kill-grace`) for the runs it starts in-process.
   */
  killGraceMs?: number;
  /** A tasker run's per-host counts (its JSON `hosts`), handed over at its end: parallelr sums them across files. */
  onHostTallies?: (hosts: HostTallies) => void;
}

export interface ProcessIoOptions {
  /** The bin's name, for the one line that says its working directory is gone. */
  program: string;
  /** A hangup (the terminal or SSH session went away) does not stop the program (shared/hangup.ts). */
  carryOnAfterHangup?: boolean;
}

/** The real process as a CliIo, with SIGINT/SIGTERM turned into an abort. */
export function processIo(o: ProcessIoOptions): CliIo & { dispose(): void } {
  const controller = fanOutAbortController();
  const hurry = fanOutAbortController();
  const stop = (reason: 'SIGINT' | 'SIGTERM') => {
    if (!controller.signal.aborted) return controller.abort(reason);
    hurry.abort(reason);
    endKillGraces();
  };
  const onInt = () => stop('SIGINT');
  const onTerm = () => stop('SIGTERM');
  process.on('SIGINT', onInt);
  process.on('SIGTERM', onTerm);
  const undoHangup = o.carryOnAfterHangup ? carryOnAfterHangup() : undefined;
  exitCleanlyFromDeadTerminal();
  return {
    stdout: process.stdout,
    stderr: process.stderr,
    // A frozen snapshot: reading process.env goes through a native interceptor on every access,
    // and a frozen environment lets the launcher encode it once for all the children of a run.
    env: Object.freeze({ ...process.env }),
    cwd: currentDirectory(o.program),
    // isatty(0) rather than process.stdin.isTTY: touching process.stdin builds a stream (~5 ms).
    isTTY: isatty(0) && Boolean(process.stdout.isTTY),
    readLine: readTerminalLine,
    signal: controller.signal,
    hurry: hurry.signal,
    dispose: () => {
      process.off('SIGINT', onInt);
      process.off('SIGTERM', onTerm);
      undoHangup?.();
    },
  };
}

/**
 * The working directory; one removed under the shell (`cd x; rm -rf ../x`) cannot be worked
 * from (relative paths mean nothing there): one clear line and exit 1, before anything runs.
 */
function currentDirectory(program: string): string {
  try {
    return process.cwd();
  } catch (e) {
    const code = (e as NodeJS.ErrnoException).code ?? 'error';
    writeSync(2, `${program}: error: the current directory no longer exists (${code}): cd to a directory that exists and run again\n`);
    process.exit(ExitCode.ERROR);
  }
}

/**
 * One line typed on the terminal, or undefined when there is none: no terminal, or the terminal
 * hung up (or stdin ended) before a line came. The terminal edits the line itself (its cooked
 * mode): readline's own editing would switch the terminal to raw mode and back, and switching
 * back on a hung-up terminal throws from inside readline, beyond any catch.
 */
async function readTerminalLine(prompt: string): Promise<string | undefined> {
  if (!process.stdin.isTTY) return undefined;
  const { createInterface } = await import('node:readline');
  const rl = createInterface({ input: process.stdin, output: process.stdout, terminal: false });
  try {
    return await new Promise<string | undefined>((resolve) => {
      rl.once('line', resolve);
      rl.once('close', () => resolve(undefined));
      process.stdout.write(prompt);
    });
  } finally {
    rl.close();
  }
}
