/**
 * `--auto-recovery` state that travels with a distributed task file (docs/nats.md "Recovery state
 * travels with the file"). The controller keeps a file's state where a local run keeps it and sends
 * it with the file's job (`recovery`). Here it goes where the run will look for it: an in-process
 * run is asked for its recovery file when it first looks (RunOptions.onRecoveryFile); a run started
 * as a process is told one (`--recovery-file` in the job's records directory). The run resumes from
 * it and keeps or drops it as a local run does; what it left goes back with the records
 * (`recovery.json`, or `recovery_dropped`) and is removed here: the controller's copy is the one
 * that counts, whichever agent runs the file next.
 */
import { existsSync, rmSync } from 'node:fs';
import { dirname, join } from 'node:path';
import type { JobMessage } from '../../shared/nats/index.js';
import { makePrivateDir, writePrivateFile } from '../../shared/private-files.js';

/** What a run left: its state to ship (`kept`), none (`dropped`), or nothing to say (no `--auto-recovery`). */
export type RecoveryLeft = { kept: string } | 'dropped' | undefined;

/** For RunOptions.onRecoveryFile: the state the job brought goes where the run will look (a stale one here is removed). */
export function placeRecovery(job: Pick<JobMessage, 'recovery'>): (path: string) => void {
  return (path) => {
    if (job.recovery === undefined) return void rmSync(path, { force: true });
    makePrivateDir(dirname(path), { tighten: true });
    writePrivateFile(path, Buffer.from(job.recovery, 'base64'));
  };
}

/** Where a job started as a process is told to keep its state: in its records directory (ship-records.ts). */
export const processRecoveryFile = (recordsDir: string): string => join(recordsDir, 'recovery.json');

/**
 * The argv of a tasker job started as a process: when the job brought a state, the state placed in
 * the records directory and `--recovery-file` naming it appended (the last one wins). Without one,
 * unchanged: the run keeps any state of its own where it says (its JSON's `recovery_file`).
 */
export function withRecoveryFile(argv: string[], job: Pick<JobMessage, 'recovery'>, recordsDir: string): string[] {
  if (job.recovery === undefined) return argv;
  const path = processRecoveryFile(recordsDir);
  placeRecovery(job)(path);
  return [...argv, '--recovery-file', path];
}

/**
 * What a run left at `path` (its recovery file, if it has one): kept when the file is there;
 * `dropped` when it is not and the run says it used one (`--auto-recovery`).
 */
export function recoveryLeft(path: string | undefined, usedOne: boolean): RecoveryLeft {
  if (!path) return undefined;
  if (existsSync(path)) return { kept: path };
  return usedOne ? 'dropped' : undefined;
}

/** Remove this agent's copy once shipped (or not: the controller's copy counts). */
export function forgetRecovery(path: string | undefined): void {
  if (path) rmSync(path, { force: true });
}
