/**
 * Distributed parallelr: publish every task file as a job on JetStream, let any number of
 * `tasker-agent serve --nats` workers run them, read the results back (each (run id, seq) counted
 * once), apply stop limits across the fleet, and write the same results file and summary as a
 * local run, naming the agent of each task. `resumeDistributed` re-attaches after a controller
 * crash and publishes only what is neither finished nor still queued.
 */
import { join } from 'node:path';
import type { NatsConnection, Subscription } from '@nats-io/transport-node';
import type { CliIo } from '../../shared/cli-io.js';
import { checkSubjectToken, openStreamPublisher, parseStarted, subjects } from '../../shared/nats/index.js';
import type { NatsSettings } from '../../shared/nats/index.js';
import { countRecords, createStopLimitTracker, formatSummary, resolveDirs, tallyRecordsByAgent } from '../parallelr/index.js';
import type { StopLimitSettings, TaskRecord } from '../parallelr/index.js';
import { connectRun } from './connect-run.js';
import { createFleetProgress, formatAgentTable } from './fleet-progress.js';
import { publishRun } from './publish-run.js';
import { askFleet } from './fleet-probe.js';
import { serveHandOffs } from './hand-offs.js';
import { asLocalCancel, notRunRecord, readWrittenKeys, takeWritten } from './records.js';
import { earlierStop, stopRun, type RunningJob } from './stop-run.js';
import { reportFinished } from './report-finished.js';
import { DEFAULT_RUN_LOGGING, runLogFiles } from './run-records.js';
import { openRun } from './open-run.js';
import { startResultReader } from './result-reader.js';
import { watchJetStream } from './watch-jetstream.js';
import { watchTakers, type TakersWatchOptions } from './watch-takers.js';
export type { DistributedResult, RanMoreThanOnce } from './run-outcome.js';
import { formatRanMoreThanOnce, type DistributedResult, type RanMoreThanOnce, runExitCode, runsTasker, trackRanMoreThanOnce, withTaskerDetail } from './run-outcome.js';
import { registerDistributedRun } from './run-registration.js';
import { serveRunWatchers } from './run-watchers.js';
import { forgetRunState, markRunDone, newRunId, readRunState, stopSignal, writeRunState, type CancelCause, type RunFile, type RunLogging, type RunState } from './run-state.js';
import { ParallelrExit } from '../../shared/exit-codes.js';
import { fanOutAbortController, whenAborted } from '../../shared/when-aborted.js';

export interface DistributedOptions {
  /** Task files in run order; seq = position + 1. */
  files: RunFile[];
  /** Command template with `@TASK@`. */
  command: string;
  timeoutSeconds: number;
  nats: NatsSettings;
  stopLimits?: StopLimitSettings | null;
  /** Characters of stdout/stderr kept per task (last ones). Default 1000. */
  maxOutputCapture?: number;
  /** false (`--no-in-process`): agents start tasker files as processes. Default true. */
  inProcess?: boolean;
  /** Task files per job message (`--batch N`); absent: chosen from the pool's agents (fleet-probe.ts). */
  batch?: number;
  /** Default `<parallelr home>/logs/parallelr_<runId>_results.jsonl`. */
  resultsFile?: string;
  /** Where run-state files live. Default `$TASKER_NATS_STATE_DIR` or `<parallelr home>/runs`. */
  stateDir?: string;
  runId?: string;
  /** After a stop, how long to wait for results of killed jobs. Default 15 s. */
  cancelGraceMs?: number;
  /** No per-task lines or bar (summary still printed). */
  quiet?: boolean;
  /** Main log, task output and records cap (run-records.ts); defaults where absent. */
  logging?: Partial<RunLogging>;
  /** Registered for --list-workers / -k as this process (default process.pid), a daemon or not. */
  pid?: number;
  daemon?: boolean;
  /** Copy the task files to `~/parallelr/backups/parallelr_<runId>/` first (input-backup.ts); `argv` goes in its session.json. */
  backupInputs?: { argv: readonly string[] };
  /** When nobody takes the run's jobs (watch-takers.ts); its defaults where absent. */
  takers?: TakersWatchOptions;
}

export interface ResumeOptions {
  runId: string;
  /** Auth/TLS (not saved with the run); servers, pool and ack_wait default to the saved/config values. */
  nats?: Partial<NatsSettings>;
  stateDir?: string;
  cancelGraceMs?: number;
  quiet?: boolean;
  pid?: number;
  daemon?: boolean;
}

/** Default run-state directory. */
export function defaultStateDir(env: NodeJS.ProcessEnv): string {
  return env.TASKER_NATS_STATE_DIR || join(resolveDirs(env).home, 'runs');
}

/** Start a new distributed run and wait for it to finish. */
export async function runDistributed(options: DistributedOptions, io: CliIo): Promise<DistributedResult> {
  const runId = options.runId ?? newRunId();
  try {
    checkSubjectToken('run id', runId);
  } catch (e) {
    return failed(runId, (e as Error).message, io);
  }
  if (!options.files.length) return failed(runId, 'no task files to distribute', io);
  const state: RunState = {
    version: 1,
    runId,
    createdAt: new Date().toISOString(),
    servers: options.nats.servers,
    pool: options.nats.pool,
    command: options.command,
    timeoutSeconds: options.timeoutSeconds,
    maxOutputCapture: options.maxOutputCapture ?? 1000,
    ...(options.inProcess === false ? { inProcess: false } : {}),
    ...(options.batch !== undefined ? { batch: options.batch } : {}),
    stopLimits: options.stopLimits ?? null,
    resultsFile: options.resultsFile ?? join(resolveDirs(io.env).logs, `parallelr_${runId}_results.jsonl`),
    files: options.files,
    status: 'running',
    logging: { ...DEFAULT_RUN_LOGGING, ...options.logging },
  };
  const stateDir = options.stateDir ?? defaultStateDir(io.env);
  try {
    writeRunState(stateDir, state);
  } catch (e) {
    return failed(runId, `cannot write run state in ${stateDir}: ${(e as Error).message}`, io);
  }
  return attach(state, { ...options, stateDir, settings: options.nats, resume: false }, io);
}

/** Re-attach to a run after a controller crash: finish only what is missing. */
export async function resumeDistributed(options: ResumeOptions, io: CliIo): Promise<DistributedResult> {
  const stateDir = options.stateDir ?? defaultStateDir(io.env);
  const state = readRunState(stateDir, options.runId);
  if ('error' in state) return failed(options.runId, state.error, io);
  const settings: NatsSettings = {
    servers: options.nats?.servers ?? state.servers,
    pool: options.nats?.pool ?? state.pool,
    ackWaitSec: options.nats?.ackWaitSec ?? 30,
    replicas: options.nats?.replicas,
    auth: options.nats?.auth,
    tls: options.nats?.tls,
  };
  if (settings.pool !== state.pool) {
    return failed(state.runId, `run ${state.runId} was published to pool ${state.pool}, not ${settings.pool}`, io);
  }
  if (state.status === 'done') return reportFinished(state, io);
  return attach(state, { ...options, stateDir, settings, resume: true }, io);
}

interface AttachOptions {
  stateDir: string;
  settings: NatsSettings;
  resume: boolean;
  cancelGraceMs?: number;
  quiet?: boolean;
  pid?: number;
  daemon?: boolean;
  backupInputs?: { argv: readonly string[] };
  takers?: TakersWatchOptions;
}

/** A run that could not start; stopped by a signal meanwhile (JetStream did not answer yet), the exit code of an interrupted run. */
function failed(runId: string, error: string, io: CliIo): DistributedResult {
  io.stderr.write(`parallelr: ${error}\n`);
  const signal = io.signal?.aborted ? (io.signal.reason === 'SIGINT' ? 'SIGINT' : 'SIGTERM') : undefined;
  return {
    runId, exitCode: signal ? ParallelrExit[signal] : ParallelrExit.FAILED, records: [], counts: countRecords([]), duplicates: 0, ranMoreThanOnce: [], published: 0, elapsedSeconds: 0, error,
  };
}

/** A run that failed before it published anything: a new one leaves no state file behind (forgetRunState); a resumed one keeps its own. */
function notStarted(state: RunState, o: { resume: boolean; stateDir: string }, error: string, io: CliIo): DistributedResult {
  if (!o.resume) forgetRunState(o.stateDir, state.runId);
  return failed(state.runId, error, io);
}

interface FinishedRun {
  state: RunState;
  io: CliIo;
  t0: number;
  order: TaskRecord[];
  agents: ReturnType<typeof createFleetProgress>['agents'];
  stopReason?: string;
  interrupted?: string;
  where: string;
  duplicates: number;
  ranMoreThanOnce: Map<number, RanMoreThanOnce>;
  published: number;
}

/** Print the run's summary and agent table, and return its result. */
function finishRun(f: FinishedRun): DistributedResult {
  const { state, io, t0, order, stopReason, interrupted, where, ranMoreThanOnce, published } = f;
  const { runId, pool } = state;
  const counts = countRecords(order);
  const elapsedSeconds = (Date.now() - t0) / 1000;
  const summary = formatSummary({
    records: order,
    workers: f.agents.size,
    pid: process.pid,
    workspace: { dir: 'a temporary directory per job on each agent', isolated: true },
    logDir: resolveDirs(io.env).logs,
    stopLimits: {
      enabled: Boolean(state.stopLimits),
      description: state.stopLimits
        ? `${state.stopLimits.maxConsecutiveFailures} consecutive, ${(state.stopLimits.maxFailureRate * 100).toFixed(0)}% after ${state.stopLimits.minTasksForRateCheck}`
        : undefined,
      tripped: stopReason,
    },
    files: { results: state.resultsFile, ...runLogFiles(state, io.env) },
    interrupted,
    elapsedSeconds,
    // A NATS result is one record per file: per agent is what the records allow (docs/parallelr.md).
    hosts: { tallies: tallyRecordsByAgent(order), note: 'per agent: a distributed run records one result per file, not its hosts' },
  });
  io.stdout.write(
    `\n${summary}\n${formatAgentTable(f.agents)}\nNATS:\n- Servers: ${where}\n- Pool: ${pool}\n- Run ID: ${runId}` +
      `${f.duplicates ? `\n- Duplicate results ignored: ${f.duplicates}` : ''}${formatRanMoreThanOnce([...ranMoreThanOnce.values()])}\n`,
  );
  return {
    runId,
    exitCode: runExitCode(interrupted, counts),
    records: order,
    counts,
    resultsFile: state.resultsFile,
    stopReason,
    interrupted,
    duplicates: f.duplicates,
    ranMoreThanOnce: [...ranMoreThanOnce.values()].sort((a, b) => a.seq - b.seq),
    published,
    elapsedSeconds,
  };
}

async function attach(state: RunState, o: AttachOptions, io: CliIo): Promise<DistributedResult> {
  const t0 = Date.now();
  const { runId, pool } = state;
  const total = state.files.length;
  const where = o.settings.servers.join(',');
  // The pool's agents are asked for the batch size while the streams are checked (fleet-probe.ts).
  let fleet: ReturnType<typeof askFleet> = Promise.resolve(undefined);
  const connected = await connectRun(state, o, where, io, (c) => (fleet = askFleet(c, pool, total, state.batch)));
  if ('error' in connected) return notStarted(state, o, connected.error, io);
  const { nc, jsm, js } = connected;

  // Records already in the results file (resume): skip writing them again. Keyed so a replay in
  // stream order matches them exactly; a torn last line from the crash is dropped.
  const alreadyWritten = o.resume ? readWrittenKeys(state.resultsFile) : new Map<string, number>();
  const opened = openRun(state, o, io, jsm, where);
  if ('error' in opened) {
    await nc.close().catch(() => undefined);
    return notStarted(state, o, opened.error, io);
  }
  const { writer, backup } = opened;

  const records = new Map<number, TaskRecord>();
  const order: TaskRecord[] = [];
  const tracker = state.stopLimits ? createStopLimitTracker(state.stopLimits) : undefined;
  const progress = createFleetProgress({ total, tty: io.isTTY, stdout: io.stdout, stderr: io.stderr, quiet: o.quiet });
  // Seen by --list-workers and -k (as a local run is), and by parallelr --watch.
  const registration = registerDistributedRun(state, { env: io.env, cwd: io.cwd, pid: o.pid ?? process.pid, daemon: o.daemon ?? false, where, note: progress.note });
  const watchers = serveRunWatchers(nc, runId, total, state.resultsFile);
  const tasker = runsTasker(state.command);
  const running = new Map<number, RunningJob>();
  const stop = fanOutAbortController();
  let stopReason: string | undefined = state.stopReason;
  let interrupted: string | undefined;
  let allDone!: () => void;
  const finished = new Promise<void>((r) => (allDone = r));

  let cause: CancelCause | undefined = state.cancelCause;
  /** Stop the run on the fleet: a stop limit tripped (`limit`), a signal came, or a resumed run's cancel is finished (`say`). */
  const requestStop = (why: string, o: { signal?: string; limit?: boolean; say?: string } = {}) => {
    if (stop.signal.aborted) return;
    const { signal } = o;
    if (signal) interrupted = signal;
    else stopReason = why;
    cause = state.cancelCause = o.limit ? 'STOP_LIMIT' : stopSignal(signal) ?? state.cancelCause;
    progress.note(o.say ?? (signal ? `Interrupted by ${signal}: cancelling the run on every agent` : why));
    // Stopping now: the JetStream and takers notices ("the run waits and carries on…") no longer hold.
    jetstream.stop();
    takers.stop();
    registration.stopping();
    watchers.stopping(signal ?? why);
    stop.abort(why);
  };

  const record = (seq: number, rec: TaskRecord) => {
    if (records.has(seq)) return;
    records.set(seq, rec);
    order.push(rec);
    // A resumed run skips the rows its results file already has (alreadyWritten is empty otherwise).
    if (!takeWritten(alreadyWritten, rec)) writer.write(rec, seq);
    progress.finished(rec, seq);
    takers.progressed(rec.agent ?? undefined, 'finished');
    registration.finished(rec, records.size);
    watchers.finished(seq, rec);
    if (tracker) {
      const why = tracker.record(rec.status);
      if (why) requestStop(why, { limit: true });
    }
    if (records.size === total) allDone();
  };

  const onStarted = (seq: number, agent: string, worker?: number) => {
    if (records.has(seq)) return;
    if (!running.has(seq)) running.set(seq, { agent, ...(worker !== undefined ? { worker } : {}), since: new Date().toISOString() });
    progress.started(seq, agent);
    takers.progressed(agent, 'took');
    watchers.started(seq);
  };
  // A cluster without a quorum (or no server), or a pool nobody takes jobs from (mistyped, its agents
  // down, busy with other runs), makes the run wait: say why, in the output and the main log.
  const warn = (text: string) => (progress.note(text), writer.mainLog.warn(text));
  const jetstream = watchJetStream(jsm, warn);
  const takers = watchTakers(nc, pool, () => {
    const on = progress.running();
    return { waiting: total - records.size - on.jobs, running: on.jobs, runningOn: on.agents, jetStreamDown: jetstream.down };
  }, warn, o.takers);
  const progSub = subscribeStartedNotices(nc, runId, onStarted);
  // One publisher for the run's jobs: its files, the files agents hand off, the lost ones published again.
  const store = await openStreamPublisher(nc);
  const publish = { store, state, maxPayload: nc.info?.max_payload ?? 1024 * 1024, signal: stop.signal, recoveryOf: writer.recoveryOf };
  const handOffs = serveHandOffs(nc, publish);

  const reruns = trackRanMoreThanOnce(progress.note);
  const reader = await startResultReader({
    js, runId, total,
    onResult: (r) => writer.land(r, (landed) => {
      // The run's JSON named the failing task when it came back; else what tasker printed says it.
      const rec = tasker && landed.failed_task === undefined ? withTaskerDetail(landed, r) : landed;
      reruns.landed(r, rec);
      // Cancelled jobs as local parallelr records them for the same stop (records.ts).
      record(r.seq, asLocalCancel(rec, cause, tasker && state.inProcess !== false));
    }),
    onStart: (a) => onStarted(a.seq, a.agent, a.worker),
    onSecondResult: reruns.secondResult,
    onProblem: (t) => progress.note(`parallelr: ${t}`),
    onRead: () => jetstream.answered(),
    signal: io.signal,
  });

  const unlistenSignal = whenAborted(io.signal, () => requestStop('interrupted', { signal: String(io.signal?.reason ?? 'SIGINT') }));

  let published = 0;
  let cancelComplete = true;
  let stopWatchingLost: (() => Promise<void>) | undefined;
  try {
    if (state.status === 'running' && !stop.signal.aborted) {
      ({ published, stopWatchingLost } = await publishRun({
        publish: { ...publish, onFailure: (f) => record(f.seq, notRunRecord(state, f.seq, 'ERROR', f.error)) },
        jsm, reader, resume: o.resume, fleet, recorded: (seq) => records.has(seq), before: backup?.before, say: (t) => io.stdout.write(t), note: warn,
      }));
    } else if (state.status === 'cancelled') {
      const earlier = earlierStop(state);
      requestStop(earlier.why, earlier);
    }
    await Promise.race([finished, new Promise<void>((r) => whenAborted(stop.signal, r))]);
    if (stop.signal.aborted && records.size < total) {
      ({ complete: cancelComplete } = await stopRun({
        nc, jsm, state, stateDir: o.stateDir, reason: stopReason, cause, running, recorded: (seq) => records.has(seq), record,
        graceMs: o.cancelGraceMs ?? 15_000, hurry: io.hurry, note: warn,
      }));
    }
  } finally {
    unlistenSignal();
    await stopWatchingLost?.();
    jetstream.stop();
    takers.stop();
    progress.done();
    await reader.stop(io.hurry);
    progSub.unsubscribe();
    handOffs.unsubscribe();
    store.close();
    watchers.end(runExitCode(interrupted, countRecords(order)));
    await backup?.finished;
    await writer.close(io.hurry);
    await (io.hurry?.aborted ? nc.close() : nc.drain()).catch(() => nc.close());
    registration.remove();
  }
  // A cancel that did not get through leaves the run `cancelled`: `--resume` sends it again.
  if (cancelComplete) markRunDone(o.stateDir, state, stopReason);
  return finishRun({ state, io, t0, order, agents: progress.agents, stopReason, interrupted, where, duplicates: reader.duplicates, ranMoreThanOnce: reruns.list, published });
}

/**
 * Agents store an attempt when they claim a job (read by the result reader); older agents also
 * send a live `started` notice, still read so a mixed fleet shows every start.
 */
function subscribeStartedNotices(nc: NatsConnection, runId: string, onStarted: (seq: number, agent: string) => void): Subscription {
  return nc.subscribe(subjects.progress(runId), {
    callback: (err, m) => {
      if (err) return;
      const s = parseStarted(m.data);
      if (s && s.run_id === runId) onStarted(s.seq, s.agent);
    },
  });
}
