import { basename } from 'node:path';
import type { CliIo } from '../../shared/cli-io.js';

/** The engine's in-process entry point, `runTasker(argv, io)` of the run pipeline (core/run/) with the controller's placement (controller/cli/tasker-main.ts). */
export type TaskerMain = (argv: string[], io: CliIo) => Promise<number>;

const TASKER_FILES = new Set(['tasker.cjs', 'tasker.js']);

/**
 * If a built command runs tasker itself, the arguments to hand to the engine; otherwise undefined.
 * Recognised: program `tasker` (bare or any path ending in /tasker), our own `tasker.cjs` bin and
 * its `tasker.js` wrapper, and `node …/tasker.cjs` / `node …/tasker.js`.
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

let cached: Promise<TaskerMain | undefined> | undefined;

/** Loads runTasker once; undefined (and the caller spawns instead) when the engine is not available. */
export function loadTaskerMain(): Promise<TaskerMain | undefined> {
  cached ??= (async () => {
    try {
      const mod = await import('../cli/tasker-main.js');
      return mod.runTasker;
    } catch {
      return undefined;
    }
  })();
  return cached;
}
