import type { StartedChild } from './launcher-child.js';

/** Options for one child process run by {@link runProcess}. */
export interface RunOptions {
  /** argv[0] is the program; never a shell string (exec=shell builds ['/bin/bash','-c',text]). */
  argv: string[];
  cwd?: string;
  env?: NodeJS.ProcessEnv;
  /** Kill the whole process group after this many ms (SIGTERM, then SIGKILL after killGraceMs). 0/undefined = no limit. */
  timeoutMs?: number;
  /** Grace between SIGTERM and SIGKILL of the group. Default 2000 ms. */
  killGraceMs?: number;
  /** Aborting kills the process group the same way; the result has canceled=true. */
  signal?: AbortSignal;
  /**
   * Aborting ends the kill grace at once (SIGKILL now, and at once for a kill begun after it): the
   * run's operator will not wait. Besides the process-wide second Ctrl-C (shared/kill-grace.ts).
   */
  hurry?: AbortSignal;
  /** Bytes of each stream kept in memory before spilling the whole stream to a file. Default 1 MiB. */
  captureLimit?: number;
  /** Bytes of a spilled stream kept in the result's stdout/stderr. Default 100 KiB. */
  previewLimit?: number;
  /**
   * Keep nothing: only count bytes and hand every chunk to onStdout/onStderr (a relay such as the
   * agent, whose caller captures). stdout/stderr of the result stay empty; no spill file.
   */
  discardOutput?: boolean;
  /** Directory for spill files. Default os.tmpdir(). */
  spillDir?: string;
  /**
   * Live output, every chunk as it arrives (also after spilling). Returning a promise pauses
   * reading that stream until it settles (backpressure from a slow consumer).
   */
  onStdout?: (chunk: Buffer) => void | Promise<unknown>;
  onStderr?: (chunk: Buffer) => void | Promise<unknown>;
  /** The program started; `child` is what supervision runs on (an agent starts pipelined calls ahead after it). */
  onSpawn?: (pid: number, child: StartedChild) => void;
}

/** What a run produced. runProcess never throws for a failing or missing program. */
export interface ProcessResult {
  argv: string[];
  pid?: number;
  /** Exit code; 124 on timeout; 127 when the program cannot be found; 126 when it cannot be executed; 128+N when killed by signal N. */
  exitCode: number;
  signal: NodeJS.Signals | null;
  /** Captured text: the whole stream if it stayed under captureLimit, else its first previewLimit bytes. */
  stdout: string;
  stderr: string;
  /** Path of the spill file holding the whole stream, when it exceeded captureLimit. */
  stdoutFile?: string;
  stderrFile?: string;
  stdoutBytes: number;
  stderrBytes: number;
  timedOut: boolean;
  canceled: boolean;
  durationMs: number;
  /** true when stdout or stderr was spilled (the in-memory text is a preview). */
  truncated: boolean;
  /** Set when the program could not be started (ENOENT, EACCES …), with a readable reason. */
  spawnError?: string;
  /** Executors: the agent or the ssh host could not be reached, so nothing ran (the host recap's `unreachable`). */
  unreachable?: boolean;
}
