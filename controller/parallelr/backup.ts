import { copyFileSync, mkdirSync, writeFileSync } from 'node:fs';
import { copyFile } from 'node:fs/promises';
import { basename, join } from 'node:path';

/** Task-file copies in flight at once (libuv's thread pool has four threads). */
const COPIES_IN_FLIGHT = 4;

/** An input backup under way: the task files are copied in the background, in run order. */
export interface InputBackup {
  dir: string;
  /**
   * Resolves once `taskPath` is in the backup, so a task never starts before its file is saved.
   * Resolves at once for a file that is not part of the backup, and also when copying failed:
   * a failed backup never stops the run (the failure goes to `onWarning`, once).
   */
  before(taskPath: string): Promise<void>;
  /** Resolves when every copy has finished or the backup has given up. */
  finished: Promise<void>;
}

/**
 * Copies what a run is about to execute into `backups/parallelr_<session>/` (peer: input backup):
 * `tasks/<name>` for every task file or template (same-named files from different directories get a
 * numeric prefix), `arguments.txt`, and `session.json`.
 *
 * The directory, `session.json` and `arguments.txt` are written before this returns (a warning
 * instead when that fails). The task files are copied in the background, a few at a time in the
 * order the pool takes them: copying 1000 files one by one before the first task cost ~0.2–0.4 s
 * here (creating a file is ~0.3 ms on this filesystem), while in the background the copies run
 * ahead of the tasks and {@link InputBackup.before} holds back only a task whose copy is not done.
 */
export function startInputBackup(opts: {
  dir: string;
  taskFiles: readonly string[];
  argumentsFile?: string;
  session: Record<string, unknown>;
  onWarning: (message: string) => void;
}): InputBackup | { warning: string } {
  const tasks = join(opts.dir, 'tasks');
  try {
    mkdirSync(tasks, { recursive: true });
    if (opts.argumentsFile) copyFileSync(opts.argumentsFile, join(opts.dir, 'arguments.txt'));
    writeFileSync(join(opts.dir, 'session.json'), JSON.stringify(opts.session, null, 2) + '\n');
  } catch (err) {
    return { warning: failure(err) };
  }

  // One entry per distinct task file, in run order; its promise in `byPath` settles when the copy is done.
  const order: { from: string; to: string; settle: () => void }[] = [];
  const byPath = new Map<string, Promise<void>>();
  const used = new Set<string>();
  for (const file of new Set(opts.taskFiles)) {
    let name = basename(file);
    for (let n = 2; used.has(name); n++) name = `${n}_${basename(file)}`;
    used.add(name);
    let settle!: () => void;
    byPath.set(file, new Promise<void>((resolve) => (settle = resolve)));
    order.push({ from: file, to: join(tasks, name), settle });
  }

  let failed = false;
  let next = 0;
  const copier = async (): Promise<void> => {
    while (next < order.length) {
      const entry = order[next++]!;
      if (!failed) {
        try {
          await copyFile(entry.from, entry.to);
        } catch (err) {
          if (!failed) opts.onWarning(failure(err));
          failed = true;
        }
      }
      entry.settle();
    }
  };
  const finished = Promise.all(Array.from({ length: Math.min(COPIES_IN_FLIGHT, order.length) }, copier)).then(() => undefined);
  return { dir: opts.dir, before: (taskPath) => byPath.get(taskPath) ?? Promise.resolve(), finished };
}

function failure(err: unknown): string {
  return `input backup failed (the run continues): ${(err as Error).message}`;
}
