/**
 * The NATS worker of tasker-agent: pulls jobs of one pool from JetStream with bounded concurrency,
 * runs each in its own workspace, publishes the result and only then acknowledges the job.
 *
 * Delivery rules (SPEC §3 "NATS", docs/nats.md "Exactly once"):
 * - every delivery is claimed before it runs (claim-job.ts): a job whose result is stored is acked
 *   without running; one another live agent holds is handed back; one whose agent was lost runs
 *   again and its result names the lost execution (`earlier_runs`);
 * - result stored first, ack second: a worker that dies between the two leaves the job to be
 *   redelivered after `ack_wait`, and the next claim finds the result;
 * - a result that cannot be stored is retried (through a server restart) while the job is held
 *   with `working()`; only after that does the job go back (`nak`), to run again;
 * - a malformed job is `term()`ed and reported (logged, and an ERROR result when its run and seq
 *   can be read), the worker carries on;
 * - long jobs call `working()` well within `ack_wait`, so they are not redelivered while running.
 */
import type { NatsConnection } from '@nats-io/transport-node';
import type { Consumer, JetStreamClient, JetStreamManager, JsMsg } from '@nats-io/jetstream';
import { isSubjectToken, seqOfJobSubject, subjects } from '../../shared/nats/index.js';
import { encodeMessage, parseJob, type JobMessage, type ResultMessage } from '../../shared/nats/index.js';
import { claimJob, type HoldsReply } from './claim-job.js';
import { startHeartbeat } from './heartbeat.js';
import { publishResult, unrunResult } from './publish-result.js';
import { runJob } from './run-job.js';

/** What the worker logs through; a winston logger fits. */
export interface WorkerLogger {
  info(message: string, meta?: Record<string, unknown>): unknown;
  warn(message: string, meta?: Record<string, unknown>): unknown;
  error(message: string, meta?: Record<string, unknown>): unknown;
}

interface Running {
  runId: string;
  controller: AbortController;
}

const PULL_EXPIRES_MS = 2000;
const RETRY_DELAY_MS = 500;
const NAK_DELAY_MS = 2000;
const CANCEL_MEMORY_MS = 6 * 3600 * 1000;
const ACK_WAIT_REFRESH_MS = 10_000;
/** A job held by another agent comes back after this long. */
const HELD_NAK_DELAY_MS = 1000;
/** How long a finished job's result is retried before the job is handed back (to run again). */
const RESULT_PATIENCE_MS = 120_000;

/** What a started worker works with (startNatsWorker in worker.ts connects and builds it). */
export interface WorkerParts {
  nc: NatsConnection;
  js: JetStreamClient;
  jsm: JetStreamManager;
  consumer: Consumer;
  name: string;
  /** Unique per process: names its attempts and its holds subject. */
  instance: string;
  lostAfterMs: number;
  pool: string;
  max: number;
  workdir: string;
  log: WorkerLogger;
  /** Current ack_wait of the pool consumer (refreshed). */
  ackWaitMs: number;
  drainMs: number;
}

/** Pulls, claims, runs and reports the jobs of one pool in `max` slots (the rules above). */
export class JobWorker {
  private stopping = false;
  private stopped?: Promise<void>;
  private readonly loops: Promise<void>[] = [];
  private readonly running = new Map<string, Running>();
  /** Jobs (`run:seq`) this worker claimed and has not yet acked or handed back. */
  private readonly held = new Set<string>();
  /** Jobs whose claim failed before they ran (its attempt may be stored all the same), and when. */
  private readonly unrun = new Map<string, number>();
  /** Holders found silent, and since when (claim-job.ts). */
  private readonly silentSince = new Map<string, number>();
  /** Run ids cancelled by their controller, with the time we heard it. */
  private readonly cancelled = new Map<string, number>();
  /** Aborted on shutdown after the drain period. */
  private readonly shutdown = new AbortController();
  private ackWaitTimer?: NodeJS.Timeout;
  private stopHeartbeat?: () => void;

  constructor(private readonly p: WorkerParts) {}

  start(): void {
    const { nc, log } = this.p;
    // Other agents ask whether we still hold a job we claimed (claim-job.ts).
    nc.subscribe(subjects.holds(this.p.instance), {
      callback: (err, m) => {
        if (err) return;
        let q: { run_id?: unknown; seq?: unknown } = {};
        try {
          q = JSON.parse(new TextDecoder().decode(m.data)) as typeof q;
        } catch {
          // answered "not holding"
        }
        const key = `${String(q.run_id)}:${String(q.seq)}`;
        const reply: HoldsReply = { holding: this.held.has(key), ran: !this.unrun.has(key) };
        safely(() => m.respond(new TextEncoder().encode(JSON.stringify(reply))));
      },
    });
    nc.subscribe(subjects.cancelAll, {
      callback: (err, m) => {
        if (err) return;
        const runId = m.subject.slice(m.subject.lastIndexOf('.') + 1);
        this.cancelRun(runId);
      },
    });
    void (async () => {
      for await (const s of nc.status()) {
        if (s.type === 'disconnect' || s.type === 'reconnect' || s.type === 'error') {
          log.warn(`nats ${s.type}`, { agent: this.p.name, server: 'server' in s ? s.server : undefined });
        }
      }
    })().catch(() => undefined);
    for (let slot = 1; slot <= this.p.max; slot++) this.loops.push(this.slotLoop(slot));
    // A controller may change the pool's ack_wait after we started: keep working() well inside it.
    this.ackWaitTimer = setInterval(() => {
      this.p.consumer.info().then(
        (info) => {
          if (info.config.ack_wait) this.p.ackWaitMs = info.config.ack_wait / 1e6;
        },
        () => undefined,
      );
    }, ACK_WAIT_REFRESH_MS);
    this.ackWaitTimer.unref();
    this.stopHeartbeat = startHeartbeat(this.p, () => this.running.size);
  }

  private cancelRun(runId: string): void {
    const now = Date.now();
    this.cancelled.set(runId, now);
    for (const [id, t] of this.cancelled) if (now - t > CANCEL_MEMORY_MS) this.cancelled.delete(id);
    let killed = 0;
    for (const r of this.running.values()) {
      if (r.runId === runId) {
        r.controller.abort('CANCELED');
        killed++;
      }
    }
    this.p.log.info('run cancelled by its controller', { agent: this.p.name, runId, killed });
  }

  private async slotLoop(slot: number): Promise<void> {
    while (!this.stopping) {
      let msg: JsMsg | null;
      try {
        msg = await this.p.consumer.next({ expires: PULL_EXPIRES_MS });
      } catch (e) {
        if (this.stopping || this.p.nc.isClosed()) return;
        this.p.log.warn('pulling a job failed; retrying', { agent: this.p.name, error: (e as Error).message });
        await sleep(RETRY_DELAY_MS);
        continue;
      }
      if (!msg) continue;
      if (this.stopping) {
        msg.nak();
        return;
      }
      try {
        await this.handle(msg, slot);
      } catch (e) {
        // Never expected; the job goes back to the queue and the slot keeps working.
        this.p.log.error('job handling failed', { agent: this.p.name, subject: msg.subject, error: (e as Error).message });
        safely(() => msg.nak(NAK_DELAY_MS));
      }
    }
  }

  private async handle(msg: JsMsg, slot: number): Promise<void> {
    const { log, name } = this.p;
    const delivery = msg.info.deliveryCount;
    const parsed = parseJob(msg.data);
    if (!parsed.ok) {
      log.error('malformed job terminated', {
        agent: name, subject: msg.subject, streamSeq: msg.seq, error: parsed.error,
      });
      // Run and seq come from the payload when readable, else from the subject
      // (tasker.jobs.<pool>.<runId>.<seq>), so the controller is told instead of waiting.
      const [, , , subjectRun, subjectSeq] = msg.subject.split('.');
      const runId = parsed.runId ?? (subjectRun && isSubjectToken(subjectRun) ? subjectRun : undefined);
      const seq = parsed.seq ?? seqOfJobSubject(msg.subject);
      if (runId !== undefined && seq !== undefined && subjectSeq !== undefined) {
        const r = this.bareResult(runId, seq, parsed.taskFile ?? '', slot, delivery, 'ERROR', `Error: malformed job: ${parsed.error}`);
        await this.publishResult(r).catch(() => undefined);
      }
      msg.term(parsed.error.slice(0, 200));
      return;
    }
    const job = parsed.value;
    if (this.cancelled.has(job.run_id)) {
      await this.finish(msg, this.bareResult(job.run_id, job.seq, job.task_file, slot, delivery, 'CANCELLED', 'Task cancelled'));
      return;
    }
    const key = `${job.run_id}:${job.seq}`;
    if (this.held.has(key)) {
      // Redelivered while this worker still runs it or stores its result: that copy acks it.
      log.info('redelivered job is still held here; left to the running copy', { agent: name, runId: job.run_id, seq: job.seq, delivery });
      return;
    }
    this.held.add(key);
    try {
      await this.claimAndRun(msg, job, key, slot, delivery);
    } finally {
      this.held.delete(key);
    }
  }

  private async claimAndRun(msg: JsMsg, job: JobMessage, key: string, slot: number, delivery: number): Promise<void> {
    const { log, name } = this.p;
    const ids = { agent: name, runId: job.run_id, seq: job.seq, delivery };
    this.pruneMemory();
    const claim = await claimJob(job, {
      nc: this.p.nc, js: this.p.js, jsm: this.p.jsm, agent: name, instance: this.p.instance, delivery,
      lostAfterMs: this.p.lostAfterMs, silentSince: this.silentSince,
    });
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
    if (this.cancelled.has(job.run_id)) {
      // The run was cancelled while we claimed the job: record it cancelled, never start it.
      await this.finish(msg, this.bareResult(job.run_id, job.seq, job.task_file, slot, delivery, 'CANCELLED', 'Task cancelled'));
      return;
    }
    if (claim.earlier.length) log.warn('job runs again: an earlier execution stored no result', { ...ids, earlier: claim.earlier });
    const controller = new AbortController();
    const onShutdown = () => controller.abort('AGENT_SHUTDOWN');
    this.shutdown.signal.addEventListener('abort', onShutdown, { once: true });
    this.running.set(key, { runId: job.run_id, controller });
    this.p.nc.publish(subjects.progress(job.run_id), encodeMessage({ type: 'started', run_id: job.run_id, seq: job.seq, agent: name, worker: slot }));
    const every = Math.max(200, Math.min(this.p.ackWaitMs / 3, 1000));
    // working() until the job is acked or handed back: also while its result is being stored.
    const working = setInterval(() => safely(() => msg.working()), every);
    const began = Date.now();
    try {
      let result: ResultMessage;
      try {
        result = await runJob(job, { workdir: this.p.workdir, agent: name, worker: slot, delivery, signal: controller.signal });
      } finally {
        this.running.delete(key);
        this.shutdown.signal.removeEventListener('abort', onShutdown);
      }
      if (claim.earlier.length) result.earlier_runs = claim.earlier;
      if (controller.signal.reason === 'AGENT_SHUTDOWN') {
        // Not the job's fault: hand it back so another agent runs it.
        log.warn('job handed back at shutdown', { agent: name, runId: job.run_id, seq: job.seq });
        safely(() => msg.nak());
        return;
      }
      log.info('job finished', {
        agent: name, runId: job.run_id, seq: job.seq, status: result.status, exitCode: result.exit_code,
        durationMs: Date.now() - began, delivery,
      });
      const finishedAt = Date.now();
      await this.finish(msg, result, () => !this.shutdown.signal.aborted && Date.now() - finishedAt < RESULT_PATIENCE_MS);
    } finally {
      clearInterval(working);
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

  /** Publish the result, then ack; nak with a delay when the result cannot be stored. */
  private async finish(msg: JsMsg, result: ResultMessage, keepTrying: (attempt: number) => boolean = (n) => n < 3): Promise<void> {
    try {
      await publishResult(this.p.nc, this.p.js, result, this.p.instance, keepTrying);
    } catch (e) {
      this.p.log.warn('cannot publish result; job handed back', {
        agent: this.p.name, runId: result.run_id, seq: result.seq, error: (e as Error).message,
      });
      safely(() => msg.nak(NAK_DELAY_MS));
      return;
    }
    safely(() => msg.ack());
  }

  private publishResult(result: ResultMessage): Promise<void> {
    return publishResult(this.p.nc, this.p.js, result, this.p.instance, (n) => n < 3);
  }

  private bareResult(
    runId: string, seq: number, taskFile: string, worker: number, delivery: number,
    status: ResultMessage['status'], error: string,
  ): ResultMessage {
    return unrunResult({ runId, seq, taskFile, agent: this.p.name, worker, delivery, status, error });
  }

  stop(): Promise<void> {
    this.stopped ??= (async () => {
      this.stopping = true;
      clearInterval(this.ackWaitTimer);
      this.stopHeartbeat?.();
      const drain = setTimeout(() => this.shutdown.abort('AGENT_SHUTDOWN'), this.p.drainMs);
      try {
        await waitUntil(() => this.running.size === 0 && this.held.size === 0);
      } finally {
        clearTimeout(drain);
      }
      await this.p.nc.drain().catch(() => this.p.nc.close());
      await Promise.allSettled(this.loops);
      this.p.log.info('nats worker stopped', { agent: this.p.name });
    })();
    return this.stopped;
  }
}

function safely(fn: () => unknown): void {
  try {
    fn();
  } catch {
    // a closed connection: the job will be redelivered
  }
}

function sleep(ms: number): Promise<void> {
  return new Promise((r) => setTimeout(r, ms));
}

async function waitUntil(cond: () => boolean): Promise<void> {
  while (!cond()) await sleep(50);
}
