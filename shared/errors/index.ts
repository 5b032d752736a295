/** The error model: a small flat set of coded errors (errors.ts). */
export { AbortedError, BusyError, ConfigError, ConnectError, InputError, SetupError, TaskerError, UsageError } from './errors.js';
export type { ErrorCode, ErrorOptions } from './errors.js';
