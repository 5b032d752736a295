/**
 * Reads a run's stored messages from the results stream, from its first one: each job's attempts
 * (an agent claimed it) and its result. Results are de-duplicated by (run id, seq); only the first
 * counts. A job that ran more than once is reported: its result names executions that were lost
 * (`earlier_runs`), or a second result arrives from another execution. An ordered consumer
 * survives nats-server restarts by re-creating itself at the last sequence it saw.
 */
import type { ConsumerMessages, JetStreamClient } from '@nats-io/jetstream';
import { parseStoredMessage } from '../../shared/nats/index.js';
import type { ResultMessage } from '../../shared/nats/index.js';
import { RESULTS_STREAM, subjects } from '../../shared/nats/index.js';

export interface ResultReader {
  /** Raw messages read (attempts, duplicates and bad ones included): compare with the stream's count to know we caught up. */
  readonly received: number;
  readonly duplicates: number;
  /** Seqs that have a result. */
  readonly seen: ReadonlySet<number>;
  stop(): Promise<void>;
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
  /** A second result from another execution of a job already recorded. */
  onSecondResult?: (r: SecondResult) => void;
  onProblem: (text: string) => void;
}

export async function startResultReader(o: ResultReaderOptions): Promise<ResultReader> {
  const consumer = await o.js.consumers.get(RESULTS_STREAM, { filter_subjects: subjects.runResults(o.runId) });
  // Short pulls: after a server restart a lost pull is noticed (missed heartbeat) within seconds, not 30 s.
  const messages: ConsumerMessages = await consumer.consume({ max_messages: 1000, expires: 2000 });
  const firsts = new Map<number, ResultOrigin>();
  const seen = new Set<number>();
  let received = 0;
  let duplicates = 0;
  const loop = (async () => {
    for await (const m of messages) {
      received++;
      const stored = parseStoredMessage(m.data);
      if (stored.kind === 'attempt') continue;
      if (stored.kind === 'bad') {
        o.onProblem(`ignored a bad result message (stream seq ${m.seq}): ${stored.error}`);
        continue;
      }
      const r = stored.value;
      if (r.run_id !== o.runId || r.seq > o.total) {
        o.onProblem(`ignored a result for run ${r.run_id} seq ${r.seq}: not part of this run`);
        continue;
      }
      const first = firsts.get(r.seq);
      if (first) {
        duplicates++;
        // The same execution's result stored twice is no news; another execution's is.
        if (first.agent !== r.agent || first.start_time !== r.start_time) o.onSecondResult?.({ first, second: r });
        continue;
      }
      firsts.set(r.seq, { agent: r.agent, start_time: r.start_time, delivery: r.delivery });
      seen.add(r.seq);
      o.onResult(r);
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
    async stop() {
      await messages.close().catch(() => undefined);
      await loop.catch(() => undefined);
    },
  };
}
