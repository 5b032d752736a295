/**
 * What a distributed run writes on the controller, as a local parallelr run does: the results file,
 * the main log (`parallelr_<runId>.log`), the task output file with `--log-task-output`
 * (`parallelr_<runId>_output.txt`), and each tasker file's own records landed from the agents
 * (land-records.ts) — in the order the results arrive.
 */
import { join } from 'node:path';
import type { JetStreamManager } from '@nats-io/jetstream';
import { DEFAULT_RECORDS_CAP_BYTES, type ResultMessage } from '../../shared/nats/index.js';
import { openMainLog, openResultsWriter, openTaskOutputWriter, resolveDirs, runWarning } from '../parallelr/index.js';
import type { LogLevel, MainLog, ResultsWriter, TaskOutputWriter, TaskRecord } from '../parallelr/index.js';
import { landRecords, purgeRunRecords, type Landed } from './land-records.js';
import { keptRecovery } from './recovery-kept.js';
import { filePaths } from './local-paths.js';
import { toRecord } from './records.js';
import type { RunLogging, RunState } from './run-state.js';
import { waitAtMost } from '../../shared/when-aborted.js';

/** How long closing waits for the server to purge the run's landed records. */
const PURGE_WAIT_MS = 3000;

export interface RunRecords {
  readonly resultsPath: string;
  readonly mainLog: MainLog;
  /** A warning of the run, on stderr and in the main log (`runWarning`). */
  warn(message: string): void;
  /** Land `r`'s shipped records, then hand its record to `then`; results are handled one at a time, in arrival order. */
  land(r: ResultMessage, then: (rec: TaskRecord) => void): void;
  /** One finished (or never started) task: a results row, a main-log line and a task-output block. */
  write(rec: TaskRecord, seq: number): void;
  /** The `--auto-recovery` state kept for task file `seq` (recovery-kept.ts), to send with its job; absent when the command is not tasker. */
  recoveryOf?: (taskPath: string, seq: number) => string | undefined;
  /** Wait for the results being landed. */
  settle(): Promise<void>;
  /** Close the files and drop the run's stored records. */
  /** Not waiting for the server longer than a moment, and not at all once `hurry` aborts. */
  close(hurry?: AbortSignal): Promise<void>;
}

export const DEFAULT_RUN_LOGGING: RunLogging = { level: 'INFO', maxBytes: 10 * 1024 * 1024, backups: 5, taskOutput: false, recordsCapBytes: DEFAULT_RECORDS_CAP_BYTES };

/**
 * Opens the run's files; throws (naming the file) when one cannot be opened. One that can no longer
 * be written later (a full disk) is said on `stderr` and in the main log while it lasts.
 */
export function openRunRecords(state: RunState, jsm: JetStreamManager, env: NodeJS.ProcessEnv, stderr: (text: string) => void): RunRecords {
  const logging = state.logging ?? DEFAULT_RUN_LOGGING;
  const dirs = resolveDirs(env);
  const lost = runWarning(stderr, () => mainLog);
  const results: ResultsWriter = openResultsWriter(state.resultsFile, lost);
  const files = runLogFiles(state, env);
  const mainLog: MainLog = openMainLog(files.mainLog, { level: logging.level as LogLevel, pid: process.pid, maxBytes: logging.maxBytes, backups: logging.backups, onLost: lost });
  const parameters = [`-C (Command template): ${state.command}`, `NATS: ${state.servers.join(',')} pool ${state.pool} run ${state.runId}`];
  const output: TaskOutputWriter | null = logging.taskOutput ? openTaskOutputWriter(files.output!, parameters, state.maxOutputCapture, lost) : null;
  const pathsOf = filePaths(state.command, env, { dir: dirs.workspace, isolated: logging.isolatedWorkspaces === true, pid: process.pid });
  const tails = new Map<number, Pick<ResultMessage, 'stdout_tail' | 'stderr_tail'>>();
  let chain = Promise.resolve();
  mainLog.info(`Distributed run ${state.runId}: ${state.files.length} task files via NATS ${state.servers.join(',')}, pool ${state.pool}: ${state.command}`);
  const base = pathsOf?.describeBase();
  mainLog.info(`Results: ${results.path}${output ? `; task output: ${output.path}` : ''}${base ? `; tasker records land under ${base}` : ''}`);
  let written = 0;
  return {
    resultsPath: results.path,
    mainLog,
    warn: lost,
    ...(pathsOf ? { recoveryOf: (taskPath: string, seq: number) => keptRecovery(pathsOf.of(seq).recoveryFile(taskPath).path) } : {}),
    land(r, then) {
      chain = chain.then(async () => {
        const path = state.files[r.seq - 1]?.path ?? r.task_file;
        // Landing never throws; should it all the same, the result is still recorded (the run waits for it).
        const landed: Landed = r.records && pathsOf ? await landRecords(jsm, r, pathsOf.of(r.seq), path).catch((e: unknown) => ({ note: `records not landed: ${(e as Error).message}` })) : {};
        tails.set(r.seq, { stdout_tail: r.stdout_tail, stderr_tail: r.stderr_tail });
        try {
          then(toRecord(r, state.runId, landed));
        } finally {
          tails.delete(r.seq);
        }
      }).catch((e: unknown) => mainLog.error(`result of seq ${r.seq} not recorded: ${(e as Error).message}`));
    },
    write(rec, seq) {
      results.write(rec);
      written++;
      // The local line (`Worker W [i/N]: …`, run-one-task.ts) with the agent before the slot.
      const worker = rec.agent === null ? 'Worker -' : `Worker ${rec.agent}#${rec.worker ?? '?'}`;
      const code = rec.exit_code === null ? '' : ` exit code ${rec.exit_code}`;
      mainLog.log(
        rec.status === 'SUCCESS' ? 'INFO' : rec.status === 'CANCELLED' ? 'WARNING' : 'ERROR',
        `${worker} [${seq}/${state.files.length}]: ${rec.status}${code}, ${rec.duration_seconds.toFixed(2)}s${rec.error_message ? ` (${rec.error_message})` : ''}: ${rec.task_file}${rec.log_file ? ` log ${rec.log_file}` : ''}`,
      );
      if (rec.records_note) mainLog.warn(`[${seq}/${state.files.length}] records: ${rec.records_note}`);
      const t = tails.get(seq);
      if (output && rec.start_time !== null) {
        const tail = (text: string) => ({ text, totalBytes: Buffer.byteLength(text) });
        output.write(rec, { stdout: tail(t?.stdout_tail ?? ''), stderr: tail(t?.stderr_tail ?? '') });
      }
    },
    settle: () => chain,
    async close(hurry) {
      await chain;
      // Best effort (the stream's age limit drops what is left): a stop must not wait on a server that is gone.
      await waitAtMost(purgeRunRecords(jsm, state.runId), PURGE_WAIT_MS, hurry);
      mainLog.info(`Run ${state.runId}: ${written} records written by this controller, results in ${results.path}`);
      results.close();
      output?.close();
      mainLog.close();
    },
  };
}

/** The run's main log and (with task output on) its task output file, for the summary. */
export function runLogFiles(state: RunState, env: NodeJS.ProcessEnv): { mainLog: string; output: string | null } {
  const logs = resolveDirs(env).logs;
  const output = (state.logging ?? DEFAULT_RUN_LOGGING).taskOutput ? join(logs, `parallelr_${state.runId}_output.txt`) : null;
  return { mainLog: join(logs, `parallelr_${state.runId}.log`), output };
}
