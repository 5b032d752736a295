/** The files a distributed run opens before it publishes anything, and the header it prints. */
import type { JetStreamManager } from '@nats-io/jetstream';
import type { CliIo } from '../../shared/cli-io.js';
import type { InputBackup } from '../parallelr/index.js';
import { startRunBackup } from './input-backup.js';
import { openRunRecords, type RunRecords } from './run-records.js';
import type { RunState } from './run-state.js';

export interface OpenRunOptions {
  resume: boolean;
  /** Back up the task files first (a new run only); `argv` goes in the backup's session.json. */
  backupInputs?: { argv: readonly string[] };
  pid?: number;
}

/**
 * The run's records, its input backup (a new run's), and the header that says where the run goes;
 * the error when its files cannot be opened (nothing is published then).
 */
export function openRun(state: RunState, o: OpenRunOptions, io: CliIo, jsm: JetStreamManager, where: string): { writer: RunRecords; backup?: InputBackup } | { error: string } {
  let writer: RunRecords;
  try {
    writer = openRunRecords(state, jsm, io.env, (text) => io.stderr.write(text));
  } catch (e) {
    return { error: `cannot open the run's files (results ${state.resultsFile}): ${(e as Error).message}` };
  }
  const backup = !o.resume && o.backupInputs ? startRunBackup(state, o.backupInputs.argv, o.pid ?? process.pid, io, writer.warn) : undefined;
  if (backup) writer.mainLog.info(`Input backup: ${backup.dir}`);
  io.stdout.write(
    `${o.resume ? 'Resuming' : 'Distributed'} run ${state.runId}: ${state.files.length} task files via NATS ${where}, pool ${state.pool}\n` +
      `${backup ? `Input backup: ${backup.dir}\n` : ''}Resume after a controller crash with: parallelr --resume ${state.runId}\n`,
  );
  return backup ? { writer, backup } : { writer };
}
