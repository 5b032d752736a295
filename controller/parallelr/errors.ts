/**
 * A fatal problem with the inputs (exit 1, or the given code: an arguments file refused by the
 * bounded reader exits as tasker would, 20/30/31); the message is printed as `parallelr: error: …`.
 */
export class FatalError extends Error {
  override name = 'FatalError';
  constructor(
    message: string,
    readonly exitCode?: number,
  ) {
    super(message);
  }
}

export { UsageError } from './options.js';
