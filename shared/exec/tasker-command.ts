/**
 * The rule that decides "this command runs tasker itself", so the caller can run the task file with
 * the engine in this process instead of starting a Node process for it: local parallelr
 * (controller/parallelr/pool.ts), the NATS agent (agent/nats/run-tasker-job.ts) and its records
 * (agent/nats/ship-records.ts) ask the same rule.
 */
import { basename } from 'node:path';

const TASKER_FILES = new Set(['tasker.cjs', 'tasker.js']);

/**
 * If `argv` runs tasker itself, the arguments to hand to the engine; otherwise undefined.
 * Recognised: program `tasker` (bare or any path ending in /tasker), our own `tasker.cjs` bin and
 * its `tasker.js` wrapper, and `node …/tasker.cjs` / `node …/tasker.js`. Anything else (`env tasker …`,
 * a shell, a wrapper script) is started as a process.
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
