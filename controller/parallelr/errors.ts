/** A fatal problem with the inputs (exit 1); the message is printed as `parallelr: error: …`. */
export class FatalError extends Error {
  override name = 'FatalError';
}

export { UsageError } from './options.js';
