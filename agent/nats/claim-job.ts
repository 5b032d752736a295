/**
 * Before running a job (every delivery, not only redeliveries), the agent claims it: it stores an
 * attempt on the job's results subject, published only if that subject is still as the agent saw
 * it (JetStream's expected-last-subject-sequence, 0 for "nothing there"). In the common case that
 * one publish is the whole check. When something is there, the last message decides (read with
 * `STREAM.MSG.GET` last-by-subject, which nats-server 2.9 has):
 * - a result: the job is done; ack it without running (its ack was lost, e.g. a server restart);
 * - an attempt of an agent that still holds the job (it answers on `tasker.holds.<instance>`):
 *   leave it to that agent (the caller naks with a delay);
 * - an attempt whose agent does not answer for `lostAfterMs`, or says it no longer holds the job:
 *   that execution is lost; claim the job on top of it and run it again, naming the lost run.
 * Waiting `lostAfterMs` before deciding covers an agent that is only reconnecting after a server
 * restart: it holds the job and answers once it is back.
 */
import type { NatsConnection } from '@nats-io/transport-node';
import type { JetStreamManager } from '@nats-io/jetstream';
import { StoreError } from '../../shared/errors/index.js';
import { parseStoredMessage, type AttemptMessage } from '../../shared/nats/index.js';
import { JOB_VERSION, encodeMessage, type EarlierRun, type JobMessage, type ResultMessage } from '../../shared/nats/index.js';
import { RESULTS_STREAM, subjects, type StreamPublisher } from '../../shared/nats/index.js';

export type Claim =
  /** Run it; `earlier` are executions that were lost (the job runs 1 + earlier.length times). */
  | { run: true; earlier: EarlierRun[] }
  /** Its result is stored: ack without running. */
  | { run: false; stored: ResultMessage }
  /** Another agent holds it (or may, while it does not answer): nak with a delay. */
  | { run: false; heldBy: string }
  /** NATS could not be asked: nak with a delay, the job has not run. */
  | { run: false; error: string };

export interface ClaimContext {
  nc: NatsConnection;
  /** Stores the attempt (shared/nats/stream-publisher.ts). */
  store: StreamPublisher;
  jsm: JetStreamManager;
  agent: string;
  instance: string;
  delivery: number;
  /** The slot that will run the job: stored in the attempt, which tells the controller it started. */
  worker?: number;
  /** How long an attempt's agent may stay silent before its execution counts as lost. */
  lostAfterMs: number;
  /** When each silent holder was first found silent, by `<instance>:<run>:<seq>` (kept by the worker). */
  silentSince: Map<string, number>;
  /**
   * What this agent would answer about an attempt of its own (it is not running the job, as it is
   * claiming it again): asking itself over NATS would find the job held, by this very claim.
   */
  selfReply?: HoldsReply;
  /** Called while a claim waits for JetStream (a leader election): the delivery's `working()`. */
  keepAlive?: () => void;
  /**
   * The lost executions of this job when its subject holds nothing yet: it was started under a
   * batch claim whose agent was lost or released the batch without its result (batch-claim.ts).
   */
  earlierIfNew?: EarlierRun[];
}

/** What an agent answers on its holds subject. */
export interface HoldsReply {
  holding: boolean;
  /**
   * False when its claim failed before the job ran (the attempt may have been stored although its
   * publish reported an error): that attempt is not an execution.
   */
  ran?: boolean;
  /**
   * About a batch: the files this agent started under its claims of it. A start mark is stored just
   * before the file would start; a file whose start was then called off (its agent lost contact with
   * JetStream meanwhile) is marked but never ran. Absent in answers of older agents: the marks count.
   */
  started?: number[];
}

const ATTEMPTS = 4;
const PUBLISH_TIMEOUT_MS = 5000;
const HOLDS_TIMEOUT_MS = 1000;
/** How long a claim keeps trying while the results stream has no leader (a cluster electing one). */
const CLAIM_PATIENCE_MS = 20_000;

let claims = 0;

/**
 * A new number for a claim of this worker process: with its instance it names the claim in the
 * attempt it stores (`claim`) and in the attempt's message id. Not the delivery count: that is per
 * message, and one file can be queued in several (handed off, published again), so two claims of the
 * same file on one agent can have the same delivery count, and the second attempt would be taken
 * for a resend of the first (JetStream's de-duplication) and stored nowhere.
 */
export function nextClaim(): number {
  return ++claims;
}

export async function claimJob(job: JobMessage, ctx: ClaimContext): Promise<Claim> {
  const subject = subjects.jobResult(job.run_id, job.seq);
  const claim = nextClaim();
  let expected = 0;
  let earlier: EarlierRun[] = ctx.earlierIfNew ?? [];
  for (let i = 0; i < ATTEMPTS; i++) {
    const attempt: AttemptMessage = {
      type: 'attempt', v: JOB_VERSION, run_id: job.run_id, seq: job.seq, agent: ctx.agent, instance: ctx.instance,
      delivery: ctx.delivery, claim, start_time: new Date().toISOString(), earlier_runs: earlier,
      ...(ctx.worker !== undefined ? { worker: ctx.worker } : {}),
    };
    const stored = await publishAttempt(subject, encodeMessage(attempt), expected, `${job.run_id}.${job.seq}.${ctx.instance}.c${claim}.${i}`, ctx);
    if (stored === true) return { run: true, earlier };
    if (stored !== WRONG_LAST_SEQUENCE) return { run: false, error: `cannot store the attempt: ${stored.message}` };
    let last;
    try {
      last = await ctx.jsm.streams.getMessage(RESULTS_STREAM, { last_by_subj: subject });
    } catch (e) {
      return { run: false, error: `cannot read the job's stored messages: ${(e as Error).message}` };
    }
    if (!last) {
      expected = 0; // purged meanwhile
      continue;
    }
    const found = parseStoredMessage(last.data);
    if (found.kind === 'result') return { run: false, stored: found.value };
    if (found.kind === 'bad') return { run: false, error: `the job's last stored message is unreadable: ${found.error}` };
    if (found.kind === 'batch-attempt') return { run: false, error: "the job's subject holds a batch claim" };
    const holder = found.value;
    const lost = await lostExecution(holder, claim, ctx);
    if (!lost) return { run: false, heldBy: holder.agent || holder.instance };
    earlier = lost === NEVER_RAN ? holder.earlier_runs : [...holder.earlier_runs, { agent: holder.agent, start_time: holder.start_time, cause: lost }];
    expected = last.seq;
  }
  return { run: false, heldBy: 'other agents claiming it at the same time' };
}

export const WRONG_LAST_SEQUENCE = Symbol('wrong last sequence');

/**
 * Store an attempt (`data`) if the subject's last sequence is still `expected`. While the stream has no
 * leader (no responders, a timeout: a cluster member died) the same message is sent again with the
 * same message id, so an attempt stored by a publish whose answer was lost counts once.
 */
export async function publishAttempt(
  subject: string, data: Uint8Array, expected: number, msgID: string, ctx: Pick<ClaimContext, 'nc' | 'store' | 'keepAlive'>,
): Promise<true | typeof WRONG_LAST_SEQUENCE | Error> {
  const until = Date.now() + CLAIM_PATIENCE_MS;
  for (let tries = 1; ; tries++) {
    try {
      await ctx.store.publish(subject, data, { msgID, expectLastSubjectSequence: expected, timeoutMs: PUBLISH_TIMEOUT_MS });
      return true;
    } catch (e) {
      if (isWrongLastSequence(e)) return WRONG_LAST_SEQUENCE;
      if (!isTransient(e) || Date.now() >= until || ctx.nc.isClosed()) return e as Error;
    }
    ctx.keepAlive?.();
    await new Promise((r) => setTimeout(r, Math.min(250 * tries, 1000)));
  }
}

/** No stream leader to answer right now: no responders (503), a timeout, a leadership change (the publisher says which). */
function isTransient(e: unknown): boolean {
  return e instanceof StoreError && e.transient;
}

/** The holder's answer: its attempt never ran the job. */
const NEVER_RAN = Symbol('never ran');

/**
 * Why the holder's execution is lost, NEVER_RAN when that attempt did not run the job, or
 * undefined while it holds the job (or may still).
 */
async function lostExecution(holder: AttemptMessage, claim: number, ctx: ClaimContext): Promise<string | typeof NEVER_RAN | undefined> {
  const key = `${holder.instance}:${holder.run_id}:${holder.seq}`;
  let reply: HoldsReply | undefined;
  // Our own attempt: of this very claim (a publish whose answer was lost), it never ran; of an
  // earlier one (its claim failed, or we handed the job back), as we remember it.
  if (holder.instance === ctx.instance && holder.claim === claim) return NEVER_RAN;
  if (holder.instance === ctx.instance && ctx.selfReply) {
    reply = ctx.selfReply;
  } else {
    reply = await askHolder(ctx.nc, holder.instance, { run_id: holder.run_id, seq: holder.seq });
  }
  if (reply?.holding) {
    ctx.silentSince.delete(key);
    return undefined;
  }
  if (reply && !reply.holding) {
    ctx.silentSince.delete(key);
    if (reply.ran === false) return NEVER_RAN;
    return `agent ${holder.agent} stopped holding the job (delivery ${holder.delivery}) without storing a result`;
  }
  const now = Date.now();
  const since = ctx.silentSince.get(key) ?? now;
  ctx.silentSince.set(key, since);
  if (now - since < ctx.lostAfterMs) return undefined;
  ctx.silentSince.delete(key);
  return `agent ${holder.agent} was lost mid-job (delivery ${holder.delivery}; it stored no result and did not answer for ${Math.round((now - since) / 1000)} s)`;
}

/** A question to an attempt's agent: about one job, or about a batch it claimed whole. */
export type HoldsQuery = { run_id: string; seq: number } | { run_id: string; first: number; last: number };

/** Ask an agent whether it still holds a job or a batch; undefined when it does not answer in time. */
export async function askHolder(nc: NatsConnection, instance: string, q: HoldsQuery): Promise<HoldsReply | undefined> {
  try {
    const m = await nc.request(subjects.holds(instance), new TextEncoder().encode(JSON.stringify(q)), { timeout: HOLDS_TIMEOUT_MS });
    return JSON.parse(new TextDecoder().decode(m.data)) as HoldsReply;
  } catch {
    return undefined; // no responders, or no answer in time
  }
}

/**
 * Answer other agents asking whether this worker process still holds a job it claimed or a batch
 * it claimed whole. An unreadable question is answered "not holding".
 */
export function answerHolds(nc: NatsConnection, instance: string, holds: (q: HoldsQuery) => HoldsReply): void {
  nc.subscribe(subjects.holds(instance), {
    callback: (err, m) => {
      if (err) return;
      const q = parseHoldsQuery(m.data);
      try {
        m.respond(new TextEncoder().encode(JSON.stringify(q ? holds(q) : { holding: false })));
      } catch {
        // a closed connection: the asker decides on its own
      }
    },
  });
}

function parseHoldsQuery(data: Uint8Array): HoldsQuery | undefined {
  let q: Record<string, unknown>;
  try {
    q = JSON.parse(new TextDecoder().decode(data)) as Record<string, unknown>;
  } catch {
    return undefined;
  }
  if (typeof q !== 'object' || q === null || typeof q.run_id !== 'string') return undefined;
  if (typeof q.first === 'number' && typeof q.last === 'number') return { run_id: q.run_id, first: q.first, last: q.last };
  return typeof q.seq === 'number' ? { run_id: q.run_id, seq: q.seq } : undefined;
}

/** JetStream's "wrong last sequence" (err_code 10071): the subject holds something already. */
function isWrongLastSequence(e: unknown): boolean {
  return e instanceof StoreError && e.apiCode === 10071;
}
