/** The error model: a small flat set of coded errors (errors.ts). */
export { AbortedError, BusyError, ConfigError, ConnectError, InputError, LauncherUnavailableError, SetupError, StartError, StoreError, TaskerError, UsageError } from './errors.js';
export type { ErrorCode, ErrorOptions } from './errors.js';
