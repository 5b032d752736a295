/**
 * The end of a stopped distributed run (a stop limit, SIGINT/SIGTERM, `parallelr -k`): cancel it on
 * the fleet, wait a while for the results of the jobs that were running, then record every job still
 * without a result, saying what is known of it and nothing more.
 *
 * - A job that never started: CANCELLED, as local parallelr records it.
 * - A job running on an agent that did not report in time: CANCELLED when the cancel reached NATS
 *   (its agent was told), ERROR when it did not (nothing told the agent to stop: the job may have
 *   run to its end). Either way its agent and slot are named and its exit code stays unknown
 *   (null): an exit code made up for it would be misread.
 * - A second SIGINT/SIGTERM (`hurry`) ends every wait at once; nothing already recorded is lost.
 * - When the cancel did not reach NATS, or the run's queued jobs could not be purged, the operator
 *   is told what may still run and how to cancel it once NATS answers again (`parallelr --resume
 *   RUN_ID` of a cancelled run sends the cancel and purges again).
 */
import type { NatsConnection } from '@nats-io/transport-node';
import type { JetStreamManager } from '@nats-io/jetstream';
import { JOBS_STREAM, subjects } from '../../shared/nats/index.js';
import { waitAtMost, whenAborted } from '../../shared/when-aborted.js';
import { cancelMessage, type TaskRecord } from '../parallelr/index.js';
import { notRunRecord } from './records.js';
import { writeRunState, type CancelCause, type RunState } from './run-state.js';

/** A job an agent was known to run: which agent and slot, since when (as the controller learned it). */
export interface RunningJob {
  agent: string;
  worker?: number;
  since: string;
}

export interface StopRunOptions {
  nc: NatsConnection;
  jsm: JetStreamManager;
  state: RunState;
  stateDir: string;
  /** Why the run stopped (a stop limit's reason); undefined for a signal. */
  reason: string | undefined;
  cause: CancelCause | undefined;
  running: ReadonlyMap<number, RunningJob>;
  recorded: (seq: number) => boolean;
  record: (seq: number, rec: TaskRecord) => void;
  /** How long to wait for the results of running jobs. */
  graceMs: number;
  /** Aborted by a second SIGINT/SIGTERM: stop waiting. */
  hurry?: AbortSignal;
  note: (text: string) => void;
}

/** What became of the cancel: whether it reached a server, whether the queue was purged, and why not. */
interface Cancelled {
  delivered: boolean;
  purged: boolean;
  why?: string;
}

/** How long the cancel may take to reach a server, and the purge to be answered. */
const DELIVERY_MS = 3000;
const PURGE_MS = 10_000;

/** Whether the cancel reached NATS and the queue was purged: if not, the run stays `cancelled` (not done) for `--resume`. */
export async function stopRun(o: StopRunOptions): Promise<{ complete: boolean }> {
  const unreported = () => [...o.running.keys()].filter((s) => !o.recorded(s));
  if (unreported().length > 0) {
    o.note(`Waiting up to ${Math.round(o.graceMs / 1000)} s for the ${unreported().length} running job(s) to report${o.hurry ? ' (Ctrl-C again to stop waiting)' : ''}`);
  }
  const unlisten = whenAborted(o.hurry, () => o.note(`Stopped waiting: ${unreported().length} running job(s) are recorded without their result`));
  const cancelled = await cancelOnFleet(o);
  const deadline = Date.now() + o.graceMs;
  while (!o.hurry?.aborted && Date.now() < deadline && unreported().length > 0) await sleep(50);
  unlisten();

  const notTold = cancelled.delivered ? [] : unreported();
  for (let seq = 1; seq <= o.state.files.length; seq++) {
    if (o.recorded(seq)) continue;
    const job = o.running.get(seq);
    o.record(seq, job ? unconfirmedRecord(o, seq, job, cancelled) : notRunRecord(o.state, seq, 'CANCELLED', notStartedMessage(o, cancelled)));
  }
  const complete = cancelled.delivered && cancelled.purged;
  if (!complete) o.note(whatMayStillRun(o.state.runId, cancelled, notTold.length));
  return { complete };
}

function whatMayStillRun(runId: string, c: Cancelled, notTold: number): string {
  const what = c.delivered
    ? `its queued jobs were not purged (${c.why}): agents may still take them`
    : `the cancel did not reach NATS (${c.why}): ${notTold} running job(s) were not told to stop, and agents may still take its queued jobs once NATS is back`;
  return `parallelr: run ${runId}: ${what}. Cancel it there once NATS answers: parallelr --resume ${runId}`;
}

/** Local parallelr's message; and, while its job may still be queued on the server, that it may still run. */
function notStartedMessage(o: StopRunOptions, c: Cancelled): string {
  if (c.purged) return cancelMessage(o.cause);
  return `${cancelMessage(o.cause)}; it may still be queued on NATS, or held by an agent that did not hear the cancel (${c.why}): cancel it there with parallelr --resume ${o.state.runId}`;
}

function unconfirmedRecord(o: StopRunOptions, seq: number, job: RunningJob, c: Cancelled): TaskRecord {
  const on = `agent ${job.agent}${job.worker !== undefined ? ` (slot ${job.worker})` : ''}`;
  const waited = o.hurry?.aborted ? '' : ` within ${Math.round(o.graceMs / 1000)} s`;
  const error = c.delivered
    ? `${cancelMessage(o.cause)}; no result came back from ${on}${waited}, so how it ended is not confirmed: see that agent's log`
    : `No result: it was running on ${on} when the run was stopped, and the cancel did not reach NATS (${c.why}), so it may have run to its end: see that agent's log`;
  return {
    ...notRunRecord(o.state, seq, c.delivered ? 'CANCELLED' : 'ERROR', error),
    start_time: job.since,
    worker: job.worker ?? null,
    agent: job.agent,
  };
}

/**
 * Mark the run cancelled in its state file, tell every agent (core NATS, `tasker.cancel.<runId>`)
 * and purge its queued jobs; each step waits a bounded time, the purge not at all once hurried.
 */
async function cancelOnFleet(o: StopRunOptions): Promise<Cancelled> {
  const { nc, jsm, state } = o;
  state.status = 'cancelled';
  if (o.reason) state.stopReason = o.reason;
  try {
    writeRunState(o.stateDir, state);
  } catch {
    // best effort: the cancel itself matters more
  }
  nc.publish(subjects.cancel(state.runId), o.reason ?? 'cancelled');
  // Not cut short by a second Ctrl-C: whether the agents were told is what every record depends on.
  const flushed = await waitAtMost(nc.flush(), DELIVERY_MS);
  if (flushed !== 'done') return { delivered: false, purged: false, why: flushed };
  const purged = await waitAtMost(jsm.streams.purge(JOBS_STREAM, { filter: subjects.runJobs(state.pool, state.runId) }), PURGE_MS, o.hurry);
  return purged === 'done' ? { delivered: true, purged: true } : { delivered: true, purged: false, why: purged };
}

function sleep(ms: number): Promise<void> {
  return new Promise((r) => setTimeout(r, ms));
}
