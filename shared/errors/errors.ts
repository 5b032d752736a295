/**
 * The error model (STYLE.md "Errors"): one small flat set of coded errors for the controller, the
 * agent and shared code. Each sets `name`, keeps `cause`, and carries a stable `code` plus the
 * structured fields its catcher needs. Messages are for the operator and are printed without a stack.
 */

export type ErrorCode = 'USAGE' | 'CONFIG' | 'INPUT' | 'SETUP' | 'CONNECT' | 'CALL' | 'BUSY' | 'ABORTED' | 'START' | 'LAUNCHER' | 'STORE';

export interface ErrorOptions {
  cause?: unknown;
}

/** The base of every coded error: catch it to tell an operator's problem from a defect. */
export abstract class TaskerError extends Error {
  abstract readonly code: ErrorCode;
  constructor(message: string, options?: ErrorOptions) {
    super(message, options);
  }
}

/** A bad command line: the CLI prints the message with its usage line and exits 2. */
export class UsageError extends TaskerError {
  override name = 'UsageError';
  readonly code = 'USAGE';
}

/** Configuration a program must refuse to start with (a listen address, a socket path, a config value); exits 2. */
export class ConfigError extends TaskerError {
  override name = 'ConfigError';
  readonly code = 'CONFIG';
}

/** Inputs that cannot be used (files, confirmations); `exitCode` when it is not the program's generic failure. */
export class InputError extends TaskerError {
  override name = 'InputError';
  readonly code = 'INPUT';
  constructor(
    message: string,
    readonly exitCode?: number,
    options?: ErrorOptions,
  ) {
    super(message, options);
  }
}

/** A setup step the operator asked for failed: certificates, an install, a NATS stream or consumer. */
export class SetupError extends TaskerError {
  override name = 'SetupError';
  readonly code = 'SETUP';
}

/** A connection could not be made or was lost; `target` names the host or agent when known (the agent's name for an agent). */
export class ConnectError extends TaskerError {
  override name = 'ConnectError';
  readonly code = 'CONNECT';
  readonly target?: string;
  constructor(message: string, options?: ErrorOptions & { target?: string }) {
    super(message, options);
    this.target = options?.target;
  }
}

/** No capacity now (every slot and queue place taken); the caller may try again later. */
export class BusyError extends TaskerError {
  override name = 'BusyError';
  readonly code = 'BUSY';
}

/** A wait ended because the work it waited for went away (a cancelled call, a draining server). */
export class AbortedError extends TaskerError {
  override name = 'AbortedError';
  readonly code = 'ABORTED';
}

/** A program could not be started: `errno` (ENOENT, EACCES, …) and the step that failed. */
export class StartError extends TaskerError {
  override name = 'StartError';
  readonly code = 'START';
  constructor(
    readonly errno: string,
    readonly stage: string,
  ) {
    super(`${stage}: ${errno}`);
  }
}

/** The process launcher (shared/exec) is not usable; the caller starts the program another way. */
export class LauncherUnavailableError extends TaskerError {
  override name = 'LauncherUnavailableError';
  readonly code = 'LAUNCHER';
}

/**
 * JetStream did not store a message: an API error (`apiCode`, e.g. 10071 wrong last sequence),
 * a status (`status`, 503: no stream leader), a timeout, a closed connection. `transient` says
 * whether the same publish may succeed later (no leader now, no answer in time).
 */
export class StoreError extends TaskerError {
  override name = 'StoreError';
  readonly code = 'STORE';
  readonly transient: boolean;
  readonly status?: number;
  readonly apiCode?: number;
  constructor(message: string, options: ErrorOptions & { transient: boolean; status?: number; apiCode?: number }) {
    super(message, options);
    this.transient = options.transient;
    if (options.status !== undefined) this.status = options.status;
    if (options.apiCode !== undefined) this.apiCode = options.apiCode;
  }
}
