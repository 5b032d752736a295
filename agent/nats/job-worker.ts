/**
 * The NATS worker of tasker-agent: pulls jobs of one pool from JetStream with bounded concurrency,
 * runs each in its own workspace, publishes the result and only then acknowledges the job.
 *
 * Pulling (pull-jobs.ts): pull requests ask for the free slots not yet asked for, plus one job ahead
 * while the running jobs are quick (prefetch()); a job that arrives without a free slot is held
 * with `working()` until one frees, or handed back when it waited too long (job-slots.ts).
 *
 * Delivery rules (SPEC §3 "NATS", docs/nats.md "Exactly once"):
 * - every delivery is claimed before it runs (claim-job.ts), a batch as a whole (batch-claim.ts):
 *   a job whose result is stored is acked without running; one another live agent holds is handed
 *   back; one whose agent was lost runs again and its result names the lost execution (`earlier_runs`);
 * - result stored first, ack second: a worker that dies between the two leaves the job to be
 *   redelivered after `ack_wait`, and the next claim finds the result;
 * - a result that cannot be stored is retried (through a server restart) while the job is held
 *   with `working()`; only after that does the job go back (`nak`), to run again;
 * - a malformed job is `term()`ed and reported (logged, and an ERROR result when its run and seq
 *   can be read), the worker carries on;
 * - long jobs call `working()` well within `ack_wait`, so they are not redelivered while running.
 */
import { setTimeout as delay } from 'node:timers/promises';
import { isKillNow, JOBS_STREAM, poolConsumer, subjects } from '../../shared/nats/index.js';
import { parseJobs, type JobMessage, type ResultMessage } from '../../shared/nats/index.js';
import { answerHolds, claimJob } from './claim-job.js';
import { answerFleet, startHeartbeat } from './heartbeat.js';
import { batchParts } from './batch-parts.js';
import { BatchClaims, JetStreamContact, Ride, batchKey } from './batch-claim.js';
import { publishResult, reportMalformed, unrunResult } from './publish-result.js';
import { runJob } from './run-job.js';
import { attachRecords, planRecords } from './ship-records.js';
import { JobPuller, type PulledJob } from './pull-jobs.js';
import { JobSlots, type SlotJob } from './job-slots.js';
import { LateAcks } from './late-acks.js';
import { WatchOutput } from './watch-output.js';
import type { WorkerParts } from './worker-parts.js';
import { safely } from './safely.js';
import { fanOutAbortController } from '../../shared/when-aborted.js';
import { RunCancels } from './run-cancels.js';

export type { WorkerLogger, WorkerParts } from './worker-parts.js';

/** A job running here: `controller` stops it (SIGTERM, then SIGKILL after the kill grace), `hurry` ends its grace. */
interface Running { runId: string; controller: AbortController; hurry: AbortController; began: number }

/** A job's key in `held`, `running` and `unrun`. */
const jobKey = (j: { run_id: string; seq: number }) => `${j.run_id}:${j.seq}`;

const PULL_EXPIRES_MS = 2000;
const RETRY_DELAY_MS = 500;
const NAK_DELAY_MS = 2000;
const ACK_WAIT_REFRESH_MS = 10_000;
/** Jobs that end within this long are "quick": the worker then asks for one job ahead. */
const QUICK_JOB_MS = 1000;
/** A job held by another agent comes back after this long. */
const HELD_NAK_DELAY_MS = 1000;
/** A stored job's ack waits at most this long for the worker's next publish to travel with. */
const ACK_DELAY_MS = 5;

/** Pulls, claims, runs and reports the jobs of one pool in `max` slots (the rules above). */
export class JobWorker {
  private stopping = false;
  private stopped?: Promise<void>;
  /** Jobs being handled (claimed, run, reported), for stop() to wait on. */
  private readonly inFlight = new Set<Promise<void>>();
  private slots!: JobSlots;
  /** Jobs whose result is stored: acked (late-acks.ts) when their handling ends. */
  private readonly stored = new Set<PulledJob>();
  /** Acks not sent yet: they leave with the next claim or result (late-acks.ts). */
  private readonly acks = new LateAcks(ACK_DELAY_MS);
  private puller!: JobPuller;
  private retryTimer?: NodeJS.Timeout;
  private readonly running = new Map<string, Running>();
  /** Jobs (`run:seq`) this worker claimed and has not yet acked or handed back. */
  private readonly held = new Set<string>();
  /** Jobs whose claim failed before they ran (its attempt may be stored all the same), and when. */
  private readonly unrun = new Map<string, number>();
  /** Holders found silent, and since when (claim-job.ts). */
  private readonly silentSince = new Map<string, number>();
  /** Batches claimed whole (batch-claim.ts), and the contact with JetStream their claims depend on. */
  private readonly contact = new JetStreamContact(() => Math.min(this.p.lostAfterMs / 2, this.p.ackWaitMs / 3));
  private batchClaims!: BatchClaims;
  private readonly cancelled = new RunCancels();
  /** Aborted on shutdown after the drain period. */
  private readonly shutdown = fanOutAbortController();
  private ackWaitTimer?: NodeJS.Timeout;
  /** Output lines for `parallelr --watch`, published only while a run is watched (watch-output.ts). */
  private watch?: WatchOutput;
  private heartbeat?: { beat(): void; stop(): void };

  constructor(private readonly p: WorkerParts) {}

  start(): void {
    const { nc, log } = this.p;
    this.watch = new WatchOutput(nc, this.p.name);
    this.batchClaims = new BatchClaims(this.p, this.contact, this.silentSince);
    answerHolds(nc, this.p.instance, (q) =>
      'first' in q ? this.batchClaims.answer(batchKey(q.run_id, q.first, q.last)) : { holding: this.held.has(jobKey(q)), ran: !this.unrun.has(jobKey(q)) });
    this.p.store.onAnswer = () => this.contact.heard();
    answerFleet(this.p);
    nc.subscribe(subjects.cancelAll, {
      callback: (err, m) => {
        if (err) return;
        const runId = m.subject.slice(m.subject.lastIndexOf('.') + 1);
        this.cancelRun(runId, isKillNow(m));
      },
    });
    void (async () => {
      for await (const s of nc.status()) {
        if (s.type === 'disconnect' || s.type === 'reconnect' || s.type === 'error') {
          log.warn(`nats ${s.type}`, { agent: this.p.name, server: 'server' in s ? s.server : undefined });
        }
        if (s.type === 'disconnect' || s.type === 'reconnect') this.contact.lost();
        if (s.type === 'reconnect') {
          // The server has forgotten our pull requests: ask again.
          this.puller.forget();
          this.askForJobs();
        }
      }
    })().catch(() => undefined);
    this.slots = new JobSlots(this.p.max, this.p.workdir, () => this.workingEvery());
    const next = `$JS.API.CONSUMER.MSG.NEXT.${JOBS_STREAM}.${poolConsumer(this.p.pool)}`;
    this.puller = new JobPuller(nc, next, PULL_EXPIRES_MS, (job) => this.receive(job), (problem) => this.pullEnded(problem), () => this.contact.heard());
    this.puller.start();
    this.askForJobs();
    // A controller may change the pool's ack_wait after we started: keep working() well inside it.
    this.ackWaitTimer = setInterval(() => {
      this.p.consumer.info().then((info) => {
        if (info.config.ack_wait) this.p.ackWaitMs = info.config.ack_wait / 1e6;
      }, () => undefined);
    }, ACK_WAIT_REFRESH_MS);
    this.ackWaitTimer.unref();
    this.heartbeat = startHeartbeat(this.p, () => ({ running: this.running.size, draining: this.stopping }));
  }

  /** Stop the run's jobs here; `killNow` (its operator will not wait) ends their kill grace too. */
  private cancelRun(runId: string, killNow: boolean): void {
    const heard = this.cancelled.hear(runId);
    const killed = [...this.running.values()].filter((r) => r.runId === runId);
    for (const r of killed) {
      r.controller.abort('CANCELED');
      if (killNow) r.hurry.abort('CANCELED');
    }
    if (!heard || killed.length > 0) this.p.log.info('run cancelled by its controller', { agent: this.p.name, runId, killed: killed.length, ...(killNow ? { killNow } : {}) });
  }

  /** Ask for as many jobs as there are free slots not yet asked for. */
  private askForJobs(): void {
    if (this.stopping || this.retryTimer) return;
    const want = this.slots.available + this.prefetch() - this.puller.outstanding;
    if (want > 0) this.puller.request(want);
  }

  /** A pull request ended short: ask again, after a pause when the server refused it. */
  private pullEnded(problem: string | undefined): void {
    if (this.stopping || this.p.nc.isClosed()) return;
    if (!problem) return this.askForJobs();
    this.p.log.warn('pulling jobs failed; retrying', { agent: this.p.name, error: problem });
    if (this.retryTimer) return;
    this.retryTimer = setTimeout(() => {
      this.retryTimer = undefined;
      this.askForJobs();
    }, RETRY_DELAY_MS);
  }

  /** A delivered message: a job, or a batch whose every job is taken on its own (batch-parts.ts). */
  private receive(msg: PulledJob): void {
    if (this.stopping) return safely(() => msg.nak());
    const parsed = parseJobs(msg.data);
    if (!parsed.ok) return this.track(msg, reportMalformed(this.p, msg, parsed), () => this.askForJobs());
    const [first, ...more] = parsed.value;
    if (!more.length) return this.take(Object.assign(msg, { job: first! }));
    const batch = parsed.batchClaim ? this.batchClaims.open(msg, parsed.value) : undefined;
    for (const part of batchParts(msg, parsed.value, this.p.pool, this.p.nc, (runId) => this.cancelled.has(runId), batch)) this.take(part);
  }

  /**
   * A job: run it in a free slot, or hold it until one frees. `ride` carries its start mark when it
   * takes the slot of a finished part of its batch (batch-claim.ts).
   */
  private take(msg: SlotJob, ride?: Ride): void {
    if (this.stopping) return safely(() => msg.nak());
    const slot = this.slots.assign(msg);
    if (slot === undefined) return;
    let freed = false;
    // The slot is free once the job's process ended: the next job's claim leaves with this job's
    // result, or the next part of the same batch is marked in it (the ride returned).
    const freeSlot = (): Ride | undefined => {
      if (freed) return undefined;
      freed = true;
      const queued = this.slots.release(slot);
      const next = queued?.batch && queued.batch === msg.batch ? new Ride(queued.batch) : undefined;
      if (queued) this.take(queued, next);
      this.askForJobs();
      if (next?.marks.length) return next;
      next?.settle(false);
      return undefined;
    };
    this.track(msg, this.handle(msg, slot, freeSlot, ride), () => freeSlot()?.settle(false));
  }

  /** Wait for a job's handling at stop; ack it once its result is stored. */
  private track(msg: PulledJob, handling: Promise<void>, after?: () => void): void {
    const task = handling
      .catch((e: unknown) => {
        // Never expected; the job goes back to the queue and the slot keeps working.
        this.p.log.error('job handling failed', { agent: this.p.name, subject: msg.subject, error: (e as Error).message });
        if (!this.stored.has(msg)) safely(() => msg.nak(NAK_DELAY_MS));
      })
      .finally(() => {
        this.inFlight.delete(task);
        if (this.stored.delete(msg)) this.acks.add(msg);
        after?.();
      });
    this.inFlight.add(task);
  }

  /**
   * One job more than the free slots while every running job is quick: it waits in the slots' queue
   * (held with working()) and starts the moment a slot frees, its claim in the same write as the
   * previous job's ack. None while a job runs long, so a long job does not keep another waiting here
   * while other agents are idle (job-slots.ts hands back one held too long).
   */
  private prefetch(): number {
    const now = Date.now();
    for (const r of this.running.values()) if (now - r.began >= QUICK_JOB_MS) return 0;
    return 1;
  }

  /** How often a running or held job calls working(): well inside the pool's ack_wait. */
  private workingEvery(): number {
    return Math.max(200, Math.min(this.p.ackWaitMs / 3, 1000));
  }

  private async handle(msg: SlotJob, slot: number, freeSlot: () => Ride | undefined, ride: Ride | undefined): Promise<void> {
    const { log, name } = this.p;
    const delivery = msg.info.deliveryCount;
    const job = msg.job;
    if (this.cancelled.has(job.run_id)) return void (await this.finishCancelled(msg, job, slot, delivery));
    const key = jobKey(job);
    if (this.held.has(key)) {
      // Redelivered while this worker still runs it or stores its result: that copy acks it. A batch
      // part is settled all the same, or its delivery's claim would answer "holding" for ever.
      log.info('redelivered job is still held here; left to the running copy', { agent: name, runId: job.run_id, seq: job.seq, delivery });
      if (msg.batch) safely(() => msg.nak(HELD_NAK_DELAY_MS));
      return;
    }
    this.held.add(key);
    try {
      await this.claimAndRun(msg, job, key, slot, delivery, freeSlot, ride);
    } finally {
      this.held.delete(key);
    }
  }

  private async claimAndRun(
    msg: SlotJob, job: JobMessage, key: string, slot: number, delivery: number, freeSlot: () => Ride | undefined, ride: Ride | undefined,
  ): Promise<void> {
    const { log, name } = this.p;
    const ids = { agent: name, runId: job.run_id, seq: job.seq, delivery };
    this.pruneMemory();
    // A workspace first: an agent that cannot make one (disk full, workdir taken away) hands the
    // job back unclaimed, to run on another agent, instead of failing it.
    if (!this.slots.workspaceReady(slot, (error) => log.error('cannot make a job workspace: jobs go back unclaimed until one can be made', { ...ids, workdir: this.p.workdir, error }))) {
      return safely(() => (msg.handOff ? msg.handOff() : msg.nak(NAK_DELAY_MS)));
    }
    // No separate `started` notice: the stored attempt (with the slot), or the start mark of a batch
    // claim, is how the controller and the console learn the job started (docs/nats.md, "Throughput").
    this.acks.send();
    const ctx = {
      nc: this.p.nc, store: this.p.store, jsm: this.p.jsm, agent: name, instance: this.p.instance, delivery, worker: slot,
      lostAfterMs: this.p.lostAfterMs, silentSince: this.silentSince,
      selfReply: { holding: false, ran: !this.unrun.has(key) }, keepAlive: () => safely(() => msg.working()),
    };
    const claim = msg.batch
      ? await msg.batch.claim(job, slot, ride, (earlierIfNew) => claimJob(job, { ...ctx, ...(earlierIfNew ? { earlierIfNew } : {}) }))
      : await claimJob(job, ctx);
    if (!claim.run) {
      if ('stored' in claim) {
        log.info('job already has a stored result; acknowledged without running', { ...ids, status: claim.stored.status, ranOn: claim.stored.agent });
        safely(() => msg.ack());
      } else if ('heldBy' in claim) {
        log.info('job is held by another agent; handed back', { ...ids, heldBy: claim.heldBy });
        safely(() => msg.nak(HELD_NAK_DELAY_MS));
      } else {
        this.unrun.set(key, Date.now());
        log.warn('cannot claim job; handed back without running', { ...ids, error: claim.error });
        safely(() => msg.nak(NAK_DELAY_MS));
      }
      return;
    }
    this.unrun.delete(key);
    // The run was cancelled while we claimed the job: record it cancelled, never start it.
    if (this.cancelled.has(job.run_id)) return void (await this.finishCancelled(msg, job, slot, delivery));
    if (claim.earlier.length) log.warn('job runs again: an earlier execution stored no result', { ...ids, earlier: claim.earlier });
    const controller = new AbortController();
    const hurry = new AbortController();
    const onShutdown = () => controller.abort('AGENT_SHUTDOWN');
    this.shutdown.signal.addEventListener('abort', onShutdown, { once: true });
    this.running.set(key, { runId: job.run_id, controller, hurry, began: Date.now() });
    // working() until the job is acked or handed back: also while its result is being stored.
    const working = setInterval(() => safely(() => msg.working()), this.workingEvery());
    const began = Date.now();
    /** The parts of this job's batch that took its slot: marked in its result (batch-claim.ts). */
    let next: Ride | undefined;
    try {
      let result: ResultMessage;
      const records = planRecords(job, this.p.workdir);
      try {
        result = await runJob(records?.job ?? job, { workspace: this.slots.workspace(slot), agent: name, worker: slot, delivery, signal: controller.signal, hurry: hurry.signal, killGraceMs: this.p.killGraceMs, output: this.watch?.forJob(job), records });
      } finally {
        this.running.delete(key);
        this.shutdown.signal.removeEventListener('abort', onShutdown);
        next = freeSlot();
      }
      if (records) await attachRecords(this.p.js, records, result, this.p.nc.info?.max_payload ?? 1024 * 1024);
      if (claim.earlier.length) result.earlier_runs = claim.earlier;
      if (controller.signal.reason === 'AGENT_SHUTDOWN') {
        // Not the job's fault: hand it back so another agent runs it.
        log.warn('job handed back at shutdown', { agent: name, runId: job.run_id, seq: job.seq });
        safely(() => msg.nak());
        return;
      }
      if (log.isLevelEnabled?.('info') ?? true) {
        log.info('job finished', {
          agent: name, runId: job.run_id, seq: job.seq, status: result.status, exitCode: result.exit_code,
          durationMs: Date.now() - began, delivery, ...(result.records?.note ? { records: result.records.note } : {}),
        });
      }
      const finishedAt = Date.now();
      if (next) result.started = next.marks;
      const stored = await this.finish(msg, result, () => !this.shutdown.signal.aborted && Date.now() - finishedAt < this.p.resultPatienceMs);
      next?.settle(stored);
    } finally {
      clearInterval(working);
      next?.settle(false);
    }
  }

  /** Forget silent holders and failed claims of long ago (their jobs went elsewhere). */
  private pruneMemory(): void {
    const old = Date.now() - 10 * 60_000;
    for (const map of [this.silentSince, this.unrun]) {
      if (map.size < 1000) continue;
      for (const [k, t] of map) if (t < old) map.delete(k);
    }
  }

  /**
   * Publish the result (the job is acked once its slot is handed on); nak with a delay when the
   * result cannot be stored. True when it is stored.
   */
  private async finish(msg: PulledJob, result: ResultMessage, keepTrying: (attempt: number) => boolean = (n) => n < 3): Promise<boolean> {
    this.acks.send();
    try {
      await publishResult(this.p.nc, this.p.store, result, this.p.instance, keepTrying);
    } catch (e) {
      this.p.log.warn('cannot publish result; job handed back', {
        agent: this.p.name, runId: result.run_id, seq: result.seq, error: (e as Error).message,
      });
      safely(() => msg.nak(NAK_DELAY_MS));
      return false;
    }
    this.stored.add(msg);
    return true;
  }

  /** A job of a cancelled run, recorded CANCELLED without running. */
  private finishCancelled(msg: PulledJob, job: JobMessage, worker: number, delivery: number): Promise<boolean> {
    const { run_id: runId, seq, task_file: taskFile } = job;
    return this.finish(msg, unrunResult({ runId, seq, taskFile, agent: this.p.name, worker, delivery, status: 'CANCELLED', error: 'Task cancelled' }));
  }

  stop(): Promise<void> {
    this.stopped ??= (async () => {
      this.stopping = true;
      clearInterval(this.ackWaitTimer);
      clearTimeout(this.retryTimer);
      this.slots.handBackHeld();
      this.heartbeat?.beat(); // draining, heard until its jobs end
      this.acks.send();
      const drain = setTimeout(() => this.shutdown.abort('AGENT_SHUTDOWN'), this.p.drainMs);
      try {
        while (this.running.size > 0 || this.held.size > 0) await delay(50);
      } finally {
        clearTimeout(drain);
      }
      await Promise.allSettled(this.inFlight);
      this.heartbeat?.stop();
      this.acks.send();
      await this.p.nc.drain().catch(() => this.p.nc.close());
      this.puller.forget();
      await this.slots.dispose();
      this.p.log.info('nats worker stopped', { agent: this.p.name });
    })();
    return this.stopped;
  }
}
