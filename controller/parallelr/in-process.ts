import type { CliIo } from '../../shared/cli-io.js';

/** The rule "this command runs tasker itself" is shared with the NATS agent (shared/exec/tasker-command.ts). */
export { taskerArguments } from '../../shared/exec/index.js';

/** The engine's in-process entry point, `runTasker(argv, io)` of the run pipeline (core/run/) with the controller's placement (controller/cli/tasker-main.ts). */
export type TaskerMain = (argv: string[], io: CliIo) => Promise<number>;

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
