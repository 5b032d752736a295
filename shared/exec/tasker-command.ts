import { basename } from 'node:path';

const TASKER_FILES = new Set(['tasker.cjs', 'tasker.js']);

/**
 * If a command runs tasker itself, the arguments to hand to the engine; otherwise undefined.
 * Recognised: program `tasker` (bare or any path ending in /tasker), our own `tasker.cjs` bin and
 * its `tasker.js` wrapper, and `node …/tasker.cjs` / `node …/tasker.js`. One rule for local
 * parallelr (in-process engine) and agents (records shipped back).
 */
export function taskerArguments(argv: readonly string[]): string[] | undefined {
  const [program, ...rest] = argv;
  if (program === undefined) return undefined;
  const name = basename(program);
  if (name === 'tasker' || TASKER_FILES.has(name)) return rest;
  if ((name === 'node' || program === process.execPath) && rest[0] !== undefined && TASKER_FILES.has(basename(rest[0]))) {
    return rest.slice(1);
  }
  return undefined;
}
