/**
 * Batch claims (docs/nats.md, "Exactly once" and "Batches"): an agent claims a delivered batch as a
 * whole with one stored *batch attempt* on `tasker.results.<run>.<first>-<last>`, published with
 * expected-last-subject-sequence 0, instead of one attempt per file. Every file it starts under
 * that claim is still marked durably before it starts, at no extra message:
 * - the files that start at once are listed in the batch attempt (`started`);
 * - a file that takes the slot of a finished file of the same batch is marked in that file's result
 *   (`ResultMessage.started`) and starts once the result is stored (a `Ride`);
 * - any other start (a slot freed by another batch's file, a result that is slow to store) claims
 *   the file on its own, as a job alone (claim-job.ts).
 * So for every file of a batch the stream tells whether it may have started: by its own attempt or
 * result, or by a mark.
 *
 * A later delivery of the batch (the first agent was lost, or handed the batch back) finds the
 * batch attempt there. It asks that attempt's agent whether it still holds the batch: yes (or no
 * answer yet, for up to `lostAfterMs`) → hand the delivery back; no, or silent for `lostAfterMs` →
 * every file is claimed on its own, and a file marked started that stored no result names the lost
 * execution in `earlier_runs`, exactly as a lost attempt would.
 *
 * Only a first delivery claims whole. A file of a batch may run on its own before the batch's next
 * delivery: handed off by an earlier delivery whose hand-off answer was lost (that delivery then
 * hands the batch back), or published again by a controller that found it lost. So a redelivery
 * that finds no batch attempt stores one listing no file (later deliveries ask its agent, as above)
 * and claims each file on its own, against the file's own subject.
 *
 * A batch claim covers starts only while the agent is in touch with JetStream (`JetStreamContact`):
 * after a silence long enough that the batch might have been redelivered elsewhere and its agent
 * taken for lost, the rest of the batch's files are claimed one by one.
 */
import { RESULTS_STREAM, encodeMessage, parseStoredMessage, subjects } from '../../shared/nats/index.js';
import type { BatchAttemptMessage, EarlierRun, JobMessage, StartMark } from '../../shared/nats/index.js';
import { JOB_VERSION } from '../../shared/nats/index.js';
import { WRONG_LAST_SEQUENCE, askHolder, nextClaim, publishAttempt, type Claim, type ClaimContext, type HoldsReply } from './claim-job.js';
import type { PulledJob } from './pull-jobs.js';
import type { WorkerParts } from './worker-parts.js';
import { safely } from './safely.js';

/**
 * How long a file waits for the result that carries its start mark before it claims itself: a
 * result that takes longer to store (records to ship, a leader election) does not hold it up.
 */
const RIDE_PATIENCE_MS = 1000;

/**
 * The worker's contact with JetStream: `epoch` moves on at a disconnect and whenever a round trip
 * (any answer to a publish, a pull) follows a silence longer than `gapMs()`. A batch claim covers
 * starts only within the epoch it was stored in. `gapMs` is well below both the pool's `ack_wait`
 * (so a batch is never redelivered while its claim covers starts: the agent's `working()` reached
 * the server before each later round trip) and the time after which a silent agent counts as lost.
 */
export class JetStreamContact {
  private last = Date.now();
  epoch = 0;

  constructor(private readonly gapMs: () => number) {}

  heard(): void {
    const now = Date.now();
    if (now - this.last > this.gapMs()) this.epoch++;
    this.last = now;
  }

  lost(): void {
    this.epoch++;
  }
}

/** The start marks a finishing file's result carries for files of its batch that take its slot. */
export class Ride {
  readonly marks: StartMark[] = [];
  /** True once the result carrying the marks is stored. */
  readonly stored: Promise<boolean>;
  private done?: (ok: boolean) => void;

  constructor(readonly batch: BatchClaim) {
    this.stored = new Promise((resolve) => (this.done = resolve));
  }

  settle(stored: boolean): void {
    this.done?.(stored);
    this.done = undefined;
  }
}

export interface BatchClaimContext extends Pick<ClaimContext, 'nc' | 'store' | 'jsm' | 'agent' | 'instance' | 'lostAfterMs' | 'silentSince' | 'keepAlive'> {
  contact: JetStreamContact;
  delivery: number;
  /** This worker's batch claims: what it knows of its own earlier deliveries of the batch. */
  claims: BatchClaims;
}

/** How a worker names a batch among its claims: `<run>:<first>-<last>`. */
export function batchKey(runId: string, first: number, last: number): string {
  return `${runId}:${first}-${last}`;
}

/** How long a released batch claim is remembered, to answer for it. */
const MEMORY_MS = 10 * 60_000;

/**
 * A worker's batch claims, to answer other agents (and itself) about a batch: does it hold it, did
 * it run any of it? Claims not yet released are kept whole; a released one only as its key, when
 * and whether it was stored, for MEMORY_MS (in release order, so forgetting costs only what it drops).
 */
export class BatchClaims {
  private readonly active = new Set<BatchClaim>();
  private readonly released = new Map<string, { at: number; stored: boolean; started: ReadonlySet<number> }>();

  /** `silentSince`: holders found silent, shared with the worker's claims of single jobs (claim-job.ts). */
  constructor(
    private readonly p: WorkerParts,
    private readonly contact: JetStreamContact,
    private readonly silentSince: Map<string, number>,
  ) {}

  /** The claim of a delivered batch (`msg`), shared by its parts. */
  open(msg: PulledJob, jobs: readonly JobMessage[]): BatchClaim {
    const { nc, store, jsm, name, instance, lostAfterMs } = this.p;
    const claim = new BatchClaim({
      nc, store, jsm, agent: name, instance, lostAfterMs, silentSince: this.silentSince, contact: this.contact,
      delivery: msg.info.deliveryCount, claims: this, keepAlive: () => safely(() => msg.working()),
    }, jobs[0]!.run_id, jobs);
    this.active.add(claim);
    return claim;
  }

  /** Every part of `claim`'s delivery is settled. */
  release(claim: BatchClaim): void {
    this.active.delete(claim);
    const now = Date.now();
    const known = this.released.get(claim.key);
    this.released.delete(claim.key); // re-inserted last: the map stays in release order
    this.released.set(claim.key, { at: now, stored: claim.stored || known?.stored === true, started: new Set([...(known?.started ?? []), ...claim.started]) });
    for (const [key, r] of this.released) {
      if (r.at >= now - MEMORY_MS) break;
      this.released.delete(key);
    }
  }

  /**
   * The answer about batch `key` (batchKey), leaving out `asking` (a delivery of
   * this worker that is asking): holding while a delivery holds it; `ran` false when none of
   * this worker's claims of it was stored (a batch attempt whose publish failed may be stored all the
   * same, listing files that never started); unknown when it was forgotten.
   */
  answer(key: string, asking?: BatchClaim): HoldsReply {
    const mine = [...this.active].filter((c) => c.key === key && c !== asking);
    if (mine.some((c) => c.holding)) return { holding: true };
    const released = this.released.get(key);
    if (!mine.length && !released) return { holding: false };
    const started = new Set([...(released?.started ?? []), ...mine.flatMap((c) => [...c.started])]);
    return { holding: false, ran: mine.some((c) => c.stored) || released?.stored === true, started: [...started].sort((a, b) => a - b) };
  }
}

type Decision =
  /** The batch attempt is ours; it covers starts while the contact's epoch is `epoch`. */
  | { kind: 'won'; epoch: number }
  | { kind: 'held'; by: string }
  | { kind: 'error'; error: string }
  /** Claim each file on its own; the files whose execution was lost under an earlier batch claim. */
  | { kind: 'each'; earlier: Map<number, EarlierRun> };

/** The claim of one delivered batch, shared by its parts. */
export class BatchClaim {
  readonly key: string;
  readonly first: number;
  readonly last: number;
  private decision?: Promise<Decision>;
  /** Set once the batch attempt is built: later parts are not in it. */
  private sealed = false;
  private readonly initial: StartMark[] = [];
  /** The files started under this claim (not those its parts claimed each on their own). */
  readonly started = new Set<number>();
  /** Our batch attempt is stored. */
  private storedHere = false;
  /** It covers starts (a first delivery's claim), within the contact's epoch it was stored in. */
  private covers?: { epoch: number };
  /** The batch was claimed before, or the claim failed: this delivery covers no start. */
  private claimedBefore = false;
  private released = false;
  /** Names this claim in its batch attempt (claim-job.ts, nextClaim). */
  private readonly claimNo = nextClaim();
  /**
   * A first delivery: it may claim the batch whole and hand files off. A redelivery may find files
   * that ran on their own meanwhile, or that started under an earlier delivery's claim (marked only
   * there): it claims each file on its own and hands none off.
   */
  readonly whole: boolean;

  constructor(private readonly c: BatchClaimContext, readonly runId: string, jobs: readonly JobMessage[]) {
    this.whole = c.delivery === 1;
    this.first = jobs[0]!.seq;
    this.last = jobs[jobs.length - 1]!.seq;
    this.key = batchKey(runId, this.first, this.last);
  }

  /** What this worker answers about the batch: it holds it from delivery until its parts are settled, unless it was claimed before. */
  get holding(): boolean {
    return !this.released && !this.claimedBefore;
  }

  /** Its batch attempt is stored: files of the batch may have started under it. */
  get stored(): boolean {
    return this.storedHere;
  }

  /** Every part is settled (acked, handed back or off): the batch is no longer held here. */
  release(): void {
    this.released = true;
    this.c.claims.release(this);
  }

  /**
   * Claim the part `job` to run in slot `worker`: covered by the batch claim, or on its own through
   * `claimEach` (claim-job.ts, with the lost executions of a file that stored nothing yet).
   * `ride` is set when the part takes the slot of a finished part whose result is about to be stored.
   * Must be called in the same tick as the part is taken: the parts taken together start together.
   */
  async claim(job: JobMessage, worker: number, ride: Ride | undefined, claimEach: (earlierIfNew?: EarlierRun[]) => Promise<Claim>): Promise<Claim> {
    let riding = false;
    if (!this.sealed) {
      this.initial.push({ seq: job.seq, worker });
      this.decision ??= Promise.resolve().then(() => this.decide());
    } else if (ride?.batch === this && this.covers?.epoch === this.c.contact.epoch) {
      ride.marks.push({ seq: job.seq, worker });
      riding = true;
    }
    const d = await this.decision!;
    if (d.kind === 'held') return { run: false, heldBy: d.by };
    if (d.kind === 'error') return { run: false, error: d.error };
    if (d.kind === 'each') {
      const lost = d.earlier.get(job.seq);
      return claimEach(lost ? [lost] : undefined);
    }
    const covered = riding ? await storedSoon(ride!) : this.initial.some((m) => m.seq === job.seq);
    if (covered && d.epoch === this.c.contact.epoch) {
      this.started.add(job.seq);
      return { run: true, earlier: [] };
    }
    return claimEach();
  }

  private async decide(): Promise<Decision> {
    this.sealed = true;
    const { c } = this;
    const { whole } = this;
    const attempt: BatchAttemptMessage = {
      type: 'batch-attempt', v: JOB_VERSION, run_id: this.runId, first: this.first, last: this.last, agent: c.agent,
      instance: c.instance, delivery: c.delivery, claim: this.claimNo, start_time: new Date().toISOString(), started: whole ? this.initial : [],
    };
    const epoch = c.contact.epoch;
    const subject = subjects.batchResult(this.runId, this.first, this.last);
    const stored = await publishAttempt(subject, encodeMessage(attempt), 0, `${this.runId}.${this.first}-${this.last}.${c.instance}.c${this.claimNo}`, c);
    if (stored === true) return this.ownClaim(epoch);
    this.claimedBefore = true;
    if (stored !== WRONG_LAST_SEQUENCE) return { kind: 'error', error: `cannot store the batch attempt: ${stored.message}` };
    return this.afterEarlierClaim(subject);
  }

  /**
   * The batch attempt stored is ours. On a first delivery it covers the files it lists, while the
   * contact's epoch is `epoch` (the one before it was stored); on a redelivery it only tells later deliveries to
   * ask us, and every file is claimed on its own, against its own subject.
   */
  private ownClaim(epoch: number): Decision {
    this.storedHere = true;
    if (!this.whole) return { kind: 'each', earlier: new Map() };
    this.covers = { epoch };
    return { kind: 'won', epoch };
  }

  /** The batch was claimed whole before: its agent decides whether this delivery runs anything, and which files ran there. */
  private async afterEarlierClaim(subject: string): Promise<Decision> {
    const { c } = this;
    let holder: BatchAttemptMessage;
    try {
      const last = await c.jsm.streams.getMessage(RESULTS_STREAM, { last_by_subj: subject });
      const found = last ? parseStoredMessage(last.data) : undefined;
      if (found?.kind !== 'batch-attempt') return { kind: 'each', earlier: new Map() }; // purged meanwhile
      holder = found.value;
    } catch (e) {
      return { kind: 'error', error: `cannot read the batch's claim: ${(e as Error).message}` };
    }
    if (holder.instance === c.instance && holder.claim === this.claimNo) {
      // Our own attempt of this very claim, stored although its publish reported an error.
      this.claimedBefore = false;
      return this.ownClaim(c.contact.epoch);
    }
    const state = await this.holderState(holder);
    if (state.holding) return { kind: 'held', by: holder.agent || holder.instance };
    if (state.ran === false) return { kind: 'each', earlier: new Map() };
    // The holder's own word on what it started; its marks only when it cannot say (lost, or older).
    let started: Set<number>;
    try {
      started = state.started ? new Set(state.started) : await this.startedUnder(holder);
    } catch (e) {
      return { kind: 'error', error: `cannot read the batch's stored results: ${(e as Error).message}` };
    }
    const earlier = new Map<number, EarlierRun>();
    for (const seq of started) earlier.set(seq, { agent: holder.agent, start_time: holder.start_time, cause: state.cause });
    return { kind: 'each', earlier };
  }

  /** Whether the batch attempt's agent holds the batch, and else why its unfinished files count as lost executions. */
  private async holderState(holder: BatchAttemptMessage): Promise<{ holding: true } | { holding: false; ran?: boolean; started?: number[]; cause: string }> {
    const { c } = this;
    const cause = `agent ${holder.agent} stopped holding the job's batch (delivery ${holder.delivery}) without storing a result`;
    const reply = holder.instance === c.instance
      ? c.claims.answer(this.key, this)
      : await askHolder(c.nc, holder.instance, { run_id: this.runId, first: this.first, last: this.last });
    const key = `${holder.instance}:${this.key}`;
    if (reply) {
      c.silentSince.delete(key);
      if (reply.holding) return { holding: true };
      const started = Array.isArray(reply.started) ? reply.started.filter((n) => Number.isSafeInteger(n) && n >= this.first && n <= this.last) : undefined;
      return { holding: false, ...(reply.ran === false ? { ran: false } : {}), ...(started ? { started } : {}), cause };
    }
    const now = Date.now();
    const since = c.silentSince.get(key) ?? now;
    c.silentSince.set(key, since);
    if (now - since < c.lostAfterMs) return { holding: true };
    c.silentSince.delete(key);
    return {
      holding: false,
      cause: `agent ${holder.agent} was lost mid-job (batch claim, delivery ${holder.delivery}; it stored no result and did not answer for ${Math.round((now - since) / 1000)} s)`,
    };
  }

  /** The files the holder marked started: in its batch attempt and in the stored results of the batch's files. */
  private async startedUnder(holder: BatchAttemptMessage): Promise<Set<number>> {
    const started = new Set(holder.started.map((m) => m.seq));
    for (let seq = this.first; seq <= this.last; seq++) {
      const last = await this.c.jsm.streams.getMessage(RESULTS_STREAM, { last_by_subj: subjects.jobResult(this.runId, seq) });
      const found = last ? parseStoredMessage(last.data) : undefined;
      if (found?.kind !== 'result') continue;
      for (const m of found.value.started ?? []) if (m.seq >= this.first && m.seq <= this.last) started.add(m.seq);
    }
    return started;
  }
}

/** Whether the result carrying a start mark was stored, waiting at most RIDE_PATIENCE_MS. */
async function storedSoon(ride: Ride): Promise<boolean> {
  let timer: NodeJS.Timeout | undefined;
  const late = new Promise<boolean>((resolve) => (timer = setTimeout(resolve, RIDE_PATIENCE_MS, false)));
  try {
    return await Promise.race([ride.stored, late]);
  } finally {
    clearTimeout(timer);
  }
}
