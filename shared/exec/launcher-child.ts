/**
 * A started child as the runner supervises it (however it was started: the launcher or Node's
 * spawn), its output streams, and a program the launcher starts ahead after it.
 */

export interface ExitStatus {
  code: number | null;
  signal: NodeJS.Signals | null;
  /** Set when the launcher died and the child's fate is unknown (its group was killed). */
  lost?: string;
}

/**
 * How the runner reads a child's stdout or stderr: the subset of a Readable it uses, so Node's
 * pipes (the spawn fallback) and the launcher's relay ({@link FedOutput}) both fit. 'close'
 * comes once, after the last 'data', when the stream ended or was destroyed.
 */
export interface ChildOutput {
  on(event: 'data', listener: (chunk: Buffer) => void): unknown;
  on(event: 'error', listener: (err: Error) => void): unknown;
  once(event: 'close', listener: () => void): unknown;
  pause(): unknown;
  resume(): unknown;
  isPaused(): boolean;
  destroy(): unknown;
  readonly destroyed: boolean;
}

/** A started child: what the runner's supervisor needs, whatever started it. */
export interface StartedChild {
  pid: number;
  stdout: ChildOutput;
  stderr: ChildOutput;
  exited: Promise<ExitStatus>;
  /**
   * Sends `signal` to every process descended from the child: its process group and those that
   * left the group (setsid), also once orphaned: the launcher makes each program its own child
   * subreaper (native/start-program.c). With Node's spawn, as far as /proc still links them to
   * the child (see process-tree.ts).
   */
  kill(signal: TreeSignal): void;
  /** Its run settled: what it left behind is not ours to kill if we die (Node's spawn only). */
  release?(): void;
  /**
   * Has the launcher start another program as soon as this one exits with status 0, with no
   * round trip through Node (absent for children Node's spawn started). See {@link AheadProcess}.
   */
  startAhead?(argv: string[], cwd: string | undefined, env: NodeJS.ProcessEnv): AheadProcess;
  /**
   * Cancels every program started ahead after this child that has not started, and makes later startAhead() calls
   * start nothing. Call it before killing the child: a killed program that still exits with
   * status 0 (a shell trapping SIGTERM) must not count as success. Resolves whether one
   * had started already (the child exited 0 on its own before the cancel reached the launcher).
   */
  stopStartingAhead?(): Promise<boolean>;
}

/**
 * A program the launcher starts by itself the moment its predecessor exits with status 0: the
 * engine's way to take its own turnaround off the path between two tasks of a plain sequence.
 * The launcher decides only on that exit status; nothing starts ahead after a predecessor Node kills,
 * because {@link cancel} is called before the kill and the launcher reads it first.
 */
export interface AheadProcess {
  /**
   * The started program; undefined when it was not started (the predecessor did not exit with
   * status 0, or cancel() came first). Rejects with StartError when it could not be started.
   * Once it resolves to a child, that child is the caller's to supervise (or kill).
   */
  readonly started: Promise<StartedChild | undefined>;
  /** Do not start it, unless it already started. Call before killing the predecessor. */
  cancel(): void;
}

/** The signals a task's tree is killed with: SIGTERM first, SIGKILL after the grace period. */
export type TreeSignal = 'SIGTERM' | 'SIGKILL';

/** A program started ahead that will not start (the launcher is gone, or its predecessor is being killed). */
export const AHEAD_NOT_STARTED: AheadProcess = { started: Promise.resolve(undefined), cancel: () => undefined };
