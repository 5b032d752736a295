import { basename } from 'node:path';
import type { CliIo } from '../../shared/cli-io.js';

/** The engine's in-process entry point, `runTasker(argv, io)` from controller/cli/tasker-main.ts. */
export type TaskerMain = (argv: string[], io: CliIo) => Promise<number>;

/**
 * If a built command runs tasker itself, the arguments to hand to the engine; otherwise undefined.
 * Recognised: program `tasker` (bare or any path ending in /tasker), our own `tasker.js` bin, and
 * `node …/tasker.js`.
 */
export function taskerArguments(argv: readonly string[]): string[] | undefined {
  const [program, ...rest] = argv;
  if (program === undefined) return undefined;
  const name = basename(program);
  if (name === 'tasker' || name === 'tasker.js') return rest;
  if ((name === 'node' || program === process.execPath) && rest[0] !== undefined && basename(rest[0]) === 'tasker.js') {
    return rest.slice(1);
  }
  return undefined;
}

let cached: Promise<TaskerMain | undefined> | undefined;

/** Loads runTasker once; undefined (and the caller spawns instead) when the engine is not available. */
export function loadTaskerMain(): Promise<TaskerMain | undefined> {
  cached ??= (async () => {
    try {
      // A variable specifier keeps this module compilable while the engine is absent.
      const specifier = '../cli/tasker-main.js';
      const mod = (await import(specifier)) as { runTasker?: unknown };
      return typeof mod.runTasker === 'function' ? (mod.runTasker as TaskerMain) : undefined;
    } catch {
      return undefined;
    }
  })();
  return cached;
}
