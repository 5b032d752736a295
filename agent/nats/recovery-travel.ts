/**
 * `--auto-recovery` state that travels with a distributed task file (docs/nats.md "Recovery state
 * travels with the file"). The controller keeps a file's state where a local run keeps it and sends
 * it with the file's job (`recovery`); the in-process run here finds it in its recovery file, put
 * there when the run first looks for it (RunOptions.onRecoveryFile), resumes from it, and keeps or
 * drops it as a local run does. What the run left goes back with the records (`recovery.json`, or
 * `recovery_dropped`) and is removed here: the controller's copy is the one that counts, whichever
 * agent runs the file next.
 */
import { existsSync, rmSync } from 'node:fs';
import { dirname } from 'node:path';
import type { JobMessage } from '../../shared/nats/index.js';
import { makePrivateDir, writePrivateFile } from '../../shared/private-files.js';
import type { MadeRecords } from '../../core/run/index.js';

/** For RunOptions.onRecoveryFile: the state the job brought goes where the run will look (a stale one here is removed). */
export function placeRecovery(job: Pick<JobMessage, 'recovery'>): (path: string) => void {
  return (path) => {
    if (job.recovery === undefined) return void rmSync(path, { force: true });
    makePrivateDir(dirname(path), { tighten: true });
    writePrivateFile(path, Buffer.from(job.recovery, 'base64'));
  };
}

/** What the run left: its state to ship (`kept`), none (`dropped`), or nothing to say (no `--auto-recovery`). */
export function recoveryLeft(made: MadeRecords | undefined): { kept: string } | 'dropped' | undefined {
  const path = made?.recoveryFile;
  if (!path) return undefined;
  return existsSync(path) ? { kept: path } : 'dropped';
}

/** Remove this agent's copy once shipped (or not: the controller's copy counts). */
export function forgetRecovery(made: MadeRecords | undefined): void {
  if (made?.recoveryFile) rmSync(made.recoveryFile, { force: true });
}
