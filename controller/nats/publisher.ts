/** Turn task files into job messages and publish them with a bounded number in flight. */
import { readBoundedBytes } from '../../shared/input/index.js';
import { basename } from 'node:path';
import { setTimeout as delay } from 'node:timers/promises';
import { JOB_VERSION, batchOverhead, encodeBatch, type JobMessage } from '../../shared/nats/index.js';
import { subjects, type StreamPublisher } from '../../shared/nats/index.js';
import { StoreError } from '../../shared/errors/index.js';
import type { RunState } from './run-state.js';

const encoder = new TextEncoder();

/** Bytes of a job message kept for its `Nats-Msg-Id` header: the client counts headers within max_payload. */
const HEADER_ROOM = 256;

/** A job that could not be published, with the reason (recorded as ERROR without running). */
export interface PublishFailure {
  seq: number;
  error: string;
}

export interface PublishOptions {
  /** The run's publisher (openStreamPublisher): one reply subscription for all its publishing. */
  store: StreamPublisher;
  state: RunState;
  /** 1-based sequence numbers to publish, ascending. */
  seqs: readonly number[];
  /** Largest message the server accepts (`nc.info.max_payload`). */
  maxPayload: number;
  /** Task files per job message (shared/nats/job-batch.ts); 1 or absent: one message per file. */
  batch?: number;
  /** Ends each message id (`<run>.<seqs>.<idTag>`); default `job`. Files published again (hand-offs.ts) get their own. */
  idTag?: string;
  /** Publishes in flight at once. Default 256. */
  window?: number;
  /** Stop publishing when aborted (stop limit, signal). */
  signal?: AbortSignal;
  /** Awaited before a file is read for its job (the input backup: publish-run.ts). */
  before?: (path: string) => Promise<void>;
  /** The `--auto-recovery` state kept for a task file, base64, sent with its job (recovery-kept.ts); absent for a command that is not tasker. */
  recoveryOf?: (path: string, seq: number) => string | undefined;
  onFailure: (f: PublishFailure) => void;
  /** Told when JetStream keeps refusing the jobs with an error of its own (its storage full), and when it takes them again. */
  note?: (text: string) => void;
}

/** Publish the given jobs; returns how many were stored by JetStream. */
export async function publishJobs(o: PublishOptions): Promise<number> {
  const window = o.window ?? 256;
  const inFlight = new Set<Promise<void>>();
  const batch = new PendingBatch(o.state.runId, Math.max(1, o.batch ?? 1), o.maxPayload - HEADER_ROOM);
  let stored = 0;
  const refusals = new Refusals(o.note);
  const send = async (b: { seqs: number[]; data: Uint8Array } | undefined) => {
    if (!b) return;
    const first = b.seqs[0]!;
    const last = b.seqs[b.seqs.length - 1]!;
    const [subject, msgID] = b.seqs.length === 1
      ? [subjects.job(o.state.pool, o.state.runId, first), `${o.state.runId}.${first}.${o.idTag ?? 'job'}`]
      : [subjects.jobBatch(o.state.pool, o.state.runId, first, last), `${o.state.runId}.${first}-${last}.${o.idTag ?? 'job'}`];
    const p = publishOne(o.store, subject, b.data, msgID, refusals, o.signal).then(
      (published) => {
        if (published) stored += b.seqs.length;
      },
      (e: Error) => {
        for (const seq of b.seqs) o.onFailure({ seq, error: `Error: could not publish job to NATS: ${e.message}` });
      },
    );
    const tracked = p.finally(() => inFlight.delete(tracked));
    inFlight.add(tracked);
    if (inFlight.size >= window) await Promise.race(inFlight);
  };
  for (const seq of o.seqs) {
    if (o.signal?.aborted) break;
    if (o.before) await o.before(o.state.files[seq - 1]!.path);
    const job = jobText(o, seq);
    if ('error' in job) {
      o.onFailure(job);
      continue;
    }
    await send(batch.add(seq, job.text, job.bytes));
  }
  if (!o.signal?.aborted) await send(batch.flush());
  await Promise.all(inFlight);
  return stored;
}

/** A job's JSON text and its size in bytes, or why it cannot be sent (an unreadable file, one too large for a message). */
function jobText(o: PublishOptions, seq: number): { text: string; bytes: number } | PublishFailure {
  const file = o.state.files[seq - 1]!;
  // Bounded: a file that cannot fit in a job is never read whole (base64 makes it 4/3 larger).
  const read = readBoundedBytes(file.path, Math.floor((o.maxPayload * 3) / 4) + 1);
  if (!read.ok) return { seq, error: `Error: cannot read task file ${file.path}: it ${read.problem.reason}` };
  const job: JobMessage = {
    v: JOB_VERSION,
    run_id: o.state.runId,
    seq,
    task_file: file.taskFile,
    file_name: basename(file.path) || `task-${seq}`,
    content: read.bytes.toString('base64'),
    command: o.state.command,
    timeout_sec: o.state.timeoutSeconds,
    output_tail: o.state.maxOutputCapture,
    ...(o.state.logging ? { records_cap: o.state.logging.recordsCapBytes } : {}),
    records_inline: true,
    ...(o.state.inProcess === false ? { in_process: false } : {}),
  };
  const recovery = o.recoveryOf?.(file.path, seq);
  if (recovery !== undefined) job.recovery = recovery;
  const text = JSON.stringify(job);
  const bytes = Buffer.byteLength(text);
  if (bytes > o.maxPayload - HEADER_ROOM) {
    const with_ = recovery === undefined ? '' : ` with its --auto-recovery state of ${Math.floor((recovery.length * 3) / 4)} bytes`;
    return { seq, error: `Error: task file too large for NATS (${bytes} bytes as a job${with_}, server max_payload ${o.maxPayload} with its headers)` };
  }
  return { text, bytes };
}

/**
 * Jobs gathered into one message (shared/nats/job-batch.ts): consecutive seqs, at most `size` of
 * them, within the server's max_payload. `add` returns the batch it completed, if any.
 */
class PendingBatch {
  private seqs: number[] = [];
  private texts: string[] = [];
  private bytes = 0;
  private readonly overhead: number;

  constructor(private readonly runId: string, private readonly size: number, private readonly maxPayload: number) {
    this.overhead = batchOverhead(runId);
  }

  /** Add job `seq` (its JSON `text`, of `textBytes` bytes). */
  add(seq: number, text: string, textBytes: number): { seqs: number[]; data: Uint8Array } | undefined {
    const bytes = textBytes + 1; // and its comma
    const last = this.seqs[this.seqs.length - 1];
    const fits = last === seq - 1 && this.seqs.length < this.size && this.overhead + this.bytes + bytes <= this.maxPayload;
    const done = fits ? undefined : this.flush();
    this.seqs.push(seq);
    this.texts.push(text);
    this.bytes += bytes;
    return done ?? (this.seqs.length >= this.size ? this.flush() : undefined);
  }

  flush(): { seqs: number[]; data: Uint8Array } | undefined {
    if (!this.seqs.length) return undefined;
    const seqs = this.seqs;
    const data = seqs.length === 1 ? encoder.encode(this.texts[0]) : encodeBatch(this.runId, this.texts);
    this.seqs = [];
    this.texts = [];
    this.bytes = 0;
    return { seqs, data };
  }
}

/** Tries before a publish that keeps failing for a reason other than JetStream's absence counts as failed. */
const OTHER_FAILURE_TRIES = 20;

/**
 * Publish with retries (the msgID makes a retried publish count once). While JetStream cannot store
 * (no stream leader, no quorum, no answer: a transient StoreError) it keeps trying until it can or
 * the run stops, as the rest of the run waits (watch-jetstream.ts says so); the job is not recorded
 * as failed for an outage. Other failures are retried 20 times, then thrown. False when the run
 * stopped first: the job was not published, and the run records it as cancelled.
 */
async function publishOne(store: StreamPublisher, subject: string, data: Uint8Array, msgID: string, refusals: Refusals, signal?: AbortSignal): Promise<boolean> {
  for (let attempt = 0, other = 0; ; attempt++) {
    if (signal?.aborted) return false;
    try {
      await store.publish(subject, data, { msgID, timeoutMs: 5000 });
      refusals.stored();
      return true;
    } catch (e) {
      if (!(e instanceof StoreError && e.transient) && ++other >= OTHER_FAILURE_TRIES) throw e;
      refusals.refused(e as Error);
    }
    // Shorter when the run stops (the wait then rejects: the loop's first line returns).
    await delay(Math.min(250 * (attempt + 1), 2000), undefined, { signal }).catch(() => undefined);
  }
}

/** Refused this long by JetStream itself before the operator is told. */
const REFUSED_NOTE_MS = 10_000;

/**
 * JetStream answering a job with an error of its own (`insufficient resources`: its storage is full)
 * keeps the run waiting as an outage does, but its watch (watch-jetstream.ts) sees JetStream
 * answer: say it here, once, and again when the jobs are taken. Outages (no answer, no leader) are
 * the watch's to tell.
 */
class Refusals {
  private since?: number;
  private said = false;

  constructor(private readonly note?: (text: string) => void) {}

  refused(e: Error): void {
    if (!(e instanceof StoreError) || e.apiCode === undefined) return;
    const now = Date.now();
    this.since ??= now;
    if (this.said || now - this.since < REFUSED_NOTE_MS) return;
    this.said = true;
    const full = /insufficient resources|storage|limit/i.test(e.message) ? ": its storage is full (the server's max_file_store or max_memory_store, or its disk); make room or raise the limit" : '';
    this.note?.(`parallelr: NATS JetStream refuses the run's jobs (${e.message}) for ${Math.round((now - this.since) / 1000)} s${full}. The run waits and publishes them when JetStream takes them (stop it with Ctrl-C or parallelr -k)`);
  }

  stored(): void {
    if (this.said) this.note?.(`parallelr: NATS JetStream takes the run's jobs again after ${Math.round((Date.now() - this.since!) / 1000)} s: the run carries on`);
    this.since = undefined;
    this.said = false;
  }
}
