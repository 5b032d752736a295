/**
 * Reads a run's stored messages from the results stream, from its first one: each job's attempts
 * and batch attempts (an agent claimed it: the job starts there) and its result. Results are de-duplicated by (run id, seq); only the first
 * counts. A job that ran more than once is reported: its result names executions that were lost
 * (`earlier_runs`), or a second result arrives from another execution. An ordered consumer
 * survives nats-server restarts by re-creating itself at the last sequence it saw; when it stalls
 * (its server of a cluster died) the reader makes a new one after the last message it read.
 */
import { setTimeout as delay } from 'node:timers/promises';
import type { ConsumerMessages, JetStreamClient, JsMsg } from '@nats-io/jetstream';
import { jetStreamOutage, parseStoredMessage, startsOf } from '../../shared/nats/index.js';
import type { ResultMessage, StartNotice } from '../../shared/nats/index.js';
import { RESULTS_STREAM, subjects } from '../../shared/nats/index.js';
import { waitAtMost } from '../../shared/when-aborted.js';

/** How long stopping waits for the server to close the reader's consumer. */
const STOP_WAIT_MS = 2000;

export interface ResultReader {
  /** Raw messages read (attempts, duplicates and bad ones included): compare with the stream's count to know we caught up. */
  readonly received: number;
  readonly duplicates: number;
  /** Seqs that have a result. */
  readonly seen: ReadonlySet<number>;
  /** Not waiting for the server longer than a moment, and not at all once `hurry` aborts. */
  stop(hurry?: AbortSignal): Promise<void>;
}

/** Which execution made a result. */
export type ResultOrigin = Pick<ResultMessage, 'agent' | 'start_time' | 'delivery'>;

/** A job whose result came twice: two executions both finished. */
export interface SecondResult {
  first: ResultOrigin;
  second: ResultMessage;
}

export interface ResultReaderOptions {
  js: JetStreamClient;
  runId: string;
  /** Number of jobs in the run: results with a seq outside 1..total are reported and ignored. */
  total: number;
  onResult: (result: ResultMessage) => void;
  /**
   * An agent started a job of this run: its stored attempt, or its start marked in a batch attempt
   * or in the result of the job whose slot it took (shared/nats/attempt.ts, `startsOf`).
   */
  onStart?: (start: StartNotice) => void;
  /** A second result from another execution of a job already recorded. */
  onSecondResult?: (r: SecondResult) => void;
  onProblem: (text: string) => void;
  /** Ends the wait for a first consumer while JetStream does not answer (the run was stopped). */
  signal?: AbortSignal;
  /** Any message read: JetStream answers (the controller's watch says it is back at once). */
  onRead?: () => void;
}

/** No message nor heartbeat for this long: the consumer is gone (its server died); make a new one. */
const STALL_MS = 6000;

export async function startResultReader(o: ResultReaderOptions): Promise<ResultReader> {
  const firsts = new Map<number, ResultOrigin>();
  const seen = new Set<number>();
  let received = 0;
  let duplicates = 0;
  let stopped = false;
  /** Stream sequence of the last message read: a new consumer starts after it. */
  let lastSeq = 0;
  let messages: ConsumerMessages | undefined;
  const handle = (m: JsMsg) => {
    received++;
    lastSeq = m.seq;
    o.onRead?.();
    const stored = parseStoredMessage(m.data);
    for (const s of startsOf(stored)) if (s.run_id === o.runId && !seen.has(s.seq)) o.onStart?.(s);
    if (stored.kind === 'attempt' || stored.kind === 'batch-attempt') return;
    if (stored.kind === 'bad') {
      o.onProblem(`ignored a bad result message (stream seq ${m.seq}): ${stored.error}`);
      return;
    }
    const r = stored.value;
    if (r.run_id !== o.runId || r.seq > o.total) {
      o.onProblem(`ignored a result for run ${r.run_id} seq ${r.seq}: not part of this run`);
      return;
    }
    const first = firsts.get(r.seq);
    if (first) {
      duplicates++;
      // The same execution's result stored twice is no news; another execution's is.
      if (first.agent !== r.agent || first.start_time !== r.start_time) o.onSecondResult?.({ first, second: r });
      return;
    }
    firsts.set(r.seq, { agent: r.agent, start_time: r.start_time, delivery: r.delivery });
    seen.add(r.seq);
    o.onResult(r);
  };
  /**
   * An ordered consumer from after the last message read (none is lost: the stream keeps them; none
   * is counted twice), tried again every second while JetStream does not answer (the run's watch
   * says so) or refuses; undefined once the reader is stopped or `signal` aborts.
   */
  const connect = async (): Promise<ConsumerMessages | undefined> => {
    let said = false;
    while (!stopped && !o.signal?.aborted) {
      try {
        const made = await consumeFrom(o.js, o.runId, lastSeq);
        if (!stopped) return made;
        void made.close().catch(() => undefined);
      } catch (e) {
        if (!said && jetStreamOutage(e) === undefined) {
          said = true;
          o.onProblem(`cannot read the run's results: ${(e as Error).message}; trying again every second`);
        }
        await delay(1000, undefined, { signal: o.signal }).catch(() => undefined);
      }
    }
    return undefined;
  };
  // The first consumer before the run goes on: what a resumed run decides (its cancel's rows) reads
  // the stored attempts right away.
  messages = await connect();
  const loop = (async () => {
    // The ordered consumer lives on one server of a cluster; when that server dies, nats.js may
    // wait for it forever: the watchdog ends it, and a new one is made.
    for (; messages; messages = await connect()) {
      const watchdog = watchStall(messages);
      for await (const m of messages) {
        watchdog.touch();
        handle(m);
      }
      watchdog.stop();
    }
  })();
  return {
    get received() {
      return received;
    },
    get duplicates() {
      return duplicates;
    },
    seen,
    async stop(hurry) {
      stopped = true;
      // Best effort: with no server to answer, closing waits for a request timeout; the loop ends
      // with the connection anyway.
      await waitAtMost((messages?.close() ?? Promise.resolve()).then(() => loop), STOP_WAIT_MS, hurry);
    },
  };
}

/** An ordered consumer of the run's results, from the stream sequence after `afterSeq` (0: from its first). */
async function consumeFrom(js: JetStreamClient, runId: string, afterSeq: number): Promise<ConsumerMessages> {
  const { DeliverPolicy } = await import('@nats-io/jetstream');
  const consumer = await js.consumers.get(RESULTS_STREAM, {
    filter_subjects: subjects.runResults(runId),
    ...(afterSeq > 0 ? { deliver_policy: DeliverPolicy.StartSequence, opt_start_seq: afterSeq + 1 } : {}),
  });
  // Short pulls: after a server restart a lost pull is noticed (missed heartbeat) within seconds, not 30 s.
  return consumer.consume({ max_messages: 1000, expires: 2000 });
}

/** Closes `messages` when neither a message nor a heartbeat (one a second when idle) arrives for STALL_MS. */
function watchStall(messages: ConsumerMessages): { touch(): void; stop(): void } {
  let last = Date.now();
  const touch = () => {
    last = Date.now();
  };
  void (async () => {
    for await (const status of messages.status()) {
      // Missed heartbeats are exactly what a consumer on a dead server reports, forever.
      if (status.type === 'heartbeat' || status.type === 'ordered_consumer_recreated') touch();
    }
  })().catch(() => undefined);
  const timer = setInterval(() => {
    if (Date.now() - last > STALL_MS) void messages.close().catch(() => undefined);
  }, 1000);
  timer.unref();
  return { touch, stop: () => clearInterval(timer) };
}
