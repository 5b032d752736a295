/**
 * The input backup of a distributed run, as a local run makes it (controller/parallelr/backup.ts):
 * `~/parallelr/backups/parallelr_<runId>/` with the task files, in the order they are published,
 * and `session.json`. A file's job is published only once its copy is saved. `--no-backup-inputs`
 * turns it off; a resumed run does not make one again (the run's first controller did).
 */
import { join } from 'node:path';
import type { CliIo } from '../../shared/cli-io.js';
import { resolveDirs, startInputBackup, type InputBackup } from '../parallelr/index.js';
import type { RunState } from './run-state.js';

/**
 * Starts copying the run's task files; undefined (after a warning on stderr) when the backup cannot
 * be made. A copy that fails later is said through `warn` (the run's warning: stderr and main log).
 */
export function startRunBackup(state: RunState, argv: readonly string[], pid: number, io: CliIo, warn: (message: string) => void): InputBackup | undefined {
  const b = startInputBackup({
    dir: join(resolveDirs(io.env).backups, `parallelr_${state.runId}`),
    taskFiles: state.files.map((f) => f.path),
    session: {
      session_id: state.runId, run_id: state.runId, pid, start_time: state.createdAt, cwd: io.cwd, argv,
      command_template: state.command, tasks: state.files.length, results: state.resultsFile, nats: { servers: state.servers, pool: state.pool },
    },
    onWarning: warn,
  });
  if (!('warning' in b)) return b;
  io.stderr.write(`parallelr: warning: ${b.warning}\n`);
  return undefined;
}
