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
 * - A second SIGINT/SIGTERM (`hurry`) ends every wait at once, and the cancel is sent again as one
 *   that kills now: the agents end the kill grace of the run's jobs (SIGKILL), as a second Ctrl-C
 *   does to a local run's; nothing already recorded is lost.
 * - When the cancel did not reach NATS, or the run's queued jobs could not be purged, the operator
 *   is told what may still run and how to cancel it once NATS answers again (`parallelr --resume
 *   RUN_ID` of a cancelled run sends the cancel and purges again).
 */
import type { NatsConnection } from '@nats-io/transport-node';
import type { JetStreamManager } from '@nats-io/jetstream';
import { setTimeout as delay } from 'node:timers/promises';
import { JOBS_STREAM, publishCancel, subjects } from '../../shared/nats/index.js';
import { waitAtMost, whenAborted } from '../../shared/when-aborted.js';
import { cancelMessage, type TaskRecord } from '../parallelr/index.js';
import { notRunRecord } from './records.js';
import { stopSignal, writeRunState, type CancelCause, type RunState } from './run-state.js';

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
const FIRST_TELL = { flushMs: 3000, purgeMs: 10_000 };
/** While waiting for reports, the cancel is sent again this often, each time waiting at most RETELL for a server. */
const RETELL_MS = 1000;
const RETELL = { flushMs: 1000, purgeMs: 1000 };

/**
 * A resumed run found `cancelled`: stopped before by a signal (its cancel may not have got through),
 * a stop limit, or a crash mid-cancel. Why, the signal, and what to say as the cancel is sent again.
 */
export function earlierStop(state: RunState): { why: string; signal?: 'SIGINT' | 'SIGTERM'; say: string } {
  const signal = stopSignal(state.cancelCause);
  const say = `Run ${state.runId} was stopped before (${signal ?? state.stopReason ?? 'a stop'}): cancelling it on every agent`;
  return { why: state.stopReason ?? 'the run was cancelled before its controller stopped', ...(signal ? { signal } : {}), say };
}

/** Whether the cancel reached NATS and the queue was purged: if not, the run stays `cancelled` (not done) for `--resume`. */
export async function stopRun(o: StopRunOptions): Promise<{ complete: boolean }> {
  const unreported = () => [...o.running.keys()].filter((s) => !o.recorded(s));
  if (unreported().length > 0) {
    o.note(`Waiting up to ${Math.round(o.graceMs / 1000)} s for the ${unreported().length} running job(s) to report${o.hurry ? ' (Ctrl-C again to stop waiting)' : ''}`);
  }
  const unlisten = whenAborted(o.hurry, () => o.note(`Stopped waiting: ${unreported().length} running job(s) are recorded without their result`));
  markCancelled(o);
  let cancelled = await tell(o, undefined, FIRST_TELL);
  const deadline = Date.now() + o.graceMs;
  let again = Date.now() + RETELL_MS;
  while (!o.hurry?.aborted && Date.now() < deadline && unreported().length > 0) {
    await delay(50);
    if (Date.now() < again) continue;
    // Core NATS keeps nothing: an agent that was disconnected when the cancel went out (NATS just
    // back, a network blip) hears it now; a cancel that did not get through may get through now.
    cancelled = await tell(o, cancelled, RETELL);
    again = Date.now() + RETELL_MS;
  }
  unlisten();
  if (o.hurry?.aborted && cancelled.delivered) await killNow(o);

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

/** Mark the run cancelled in its state file (best effort: the cancel itself matters more). */
function markCancelled(o: StopRunOptions): void {
  o.state.status = 'cancelled';
  if (o.reason) o.state.stopReason = o.reason;
  try {
    writeRunState(o.stateDir, o.state);
  } catch {
    // a later --resume then finds the run `running` and cancels nothing: it is told below what may still run
  }
}

/** The operator will not wait: the run's jobs still in their kill grace on the agents are killed now (bounded: a stop must not hang). */
async function killNow(o: StopRunOptions): Promise<void> {
  await publishCancel(o.nc, o.state.runId, o.reason ?? 'cancelled', true);
  await waitAtMost(o.nc.flush(), RETELL.flushMs);
}

/**
 * Tell every agent (core NATS, `tasker.cancel.<runId>`), and purge the run's queued jobs once the
 * cancel got through and they are not purged yet. Each step waits a bounded time; the flush is not
 * cut short by a second Ctrl-C (whether the agents were told is what every record depends on), the
 * purge is.
 */
async function tell(o: StopRunOptions, was: Cancelled | undefined, bound: { flushMs: number; purgeMs: number }): Promise<Cancelled> {
  const { nc, jsm, state } = o;
  void publishCancel(nc, state.runId, o.reason ?? 'cancelled');
  if (was?.delivered && was.purged) return was;
  if (!was?.delivered) {
    const flushed = await waitAtMost(nc.flush(), bound.flushMs);
    if (flushed !== 'done') return { delivered: false, purged: false, why: was?.why ?? flushed };
  }
  if (o.hurry?.aborted && was) return was.delivered ? was : { delivered: true, purged: false, why: 'stopped waiting' };
  const purged = await waitAtMost(jsm.streams.purge(JOBS_STREAM, { filter: subjects.runJobs(state.pool, state.runId) }), bound.purgeMs, o.hurry);
  return purged === 'done' ? { delivered: true, purged: true } : { delivered: true, purged: false, why: purged };
}
