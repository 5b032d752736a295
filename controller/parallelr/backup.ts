import { copyFileSync, mkdirSync, writeFileSync } from 'node:fs';
import { basename, join } from 'node:path';

/**
 * Copies what a run is about to execute into `backups/parallelr_<PID>_<TS>/` (peer: input backup):
 * `tasks/<name>` for every task file or template (same-named files from different directories get a
 * numeric prefix), `arguments.txt`, and `session.json`. Returns the directory, or a warning; a failed
 * backup never stops the run.
 */
export function backupInputs(opts: {
  dir: string;
  taskFiles: readonly string[];
  argumentsFile?: string;
  session: Record<string, unknown>;
}): { dir: string } | { warning: string } {
  try {
    const tasks = join(opts.dir, 'tasks');
    mkdirSync(tasks, { recursive: true });
    const used = new Set<string>();
    for (const file of new Set(opts.taskFiles)) {
      let name = basename(file);
      for (let n = 2; used.has(name); n++) name = `${n}_${basename(file)}`;
      used.add(name);
      copyFileSync(file, join(tasks, name));
    }
    if (opts.argumentsFile) copyFileSync(opts.argumentsFile, join(opts.dir, 'arguments.txt'));
    writeFileSync(join(opts.dir, 'session.json'), JSON.stringify(opts.session, null, 2) + '\n');
    return { dir: opts.dir };
  } catch (err) {
    return { warning: `input backup failed (the run continues): ${(err as Error).message}` };
  }
}
