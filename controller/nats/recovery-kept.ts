/**
 * The controller's side of `--auto-recovery` state that travels with a distributed task file
 * (agent/nats/recovery-travel.ts, docs/nats.md "Recovery state travels with the file"): the state
 * is kept where a local run of the same command keeps it (local-paths.ts: the template's
 * `--recovery-file`, else `BASE/recovery/` of the tasker base the records land under, named after
 * the task file on this side), so a distributed run, a local one and `tasker --auto-recovery FILE`
 * here all resume from the same file.
 */
import { readFileSync, statSync } from 'node:fs';
import { resolve } from 'node:path';
import { deleteRecovery, saveRecovery, type RecoveryState } from '../../core/recovery/index.js';
import type { KeptState } from './local-paths.js';

/** The state kept in `path`, base64, to send with its file's job; undefined when there is none (or it cannot be read). */
export function keptRecovery(path: string): string | undefined {
  try {
    if (!statSync(path, { throwIfNoEntry: false })?.isFile()) return undefined;
    return readFileSync(path).toString('base64');
  } catch {
    return undefined;
  }
}

/** Keep the state an agent's run left in `where` (atomically, 0600), naming this side's task file in it. Throws when it is not a state file, or `where` cannot hold one (saveRecovery). */
export function keepRecovery(where: KeptState, taskPath: string, data: Buffer): void {
  const state = JSON.parse(data.toString('utf8')) as RecoveryState;
  if (typeof state !== 'object' || state === null || typeof state.task_file_hash !== 'string') throw new Error('not a recovery state');
  state.task_file_path = resolve(taskPath);
  saveRecovery(where.path, state, { ownDir: where.ownDir });
}

/** The agent's run dropped its state (it succeeded, or nothing is left to resume): drop the copy kept here. */
export function dropRecovery(path: string): void {
  deleteRecovery(path);
}
