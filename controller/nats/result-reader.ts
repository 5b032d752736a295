/**
 * Reads a run's results from the results stream, from its first message, and de-duplicates them
 * by (run id, seq): a job that was redelivered (its agent died after publishing, or its ack was
 * lost) may have two results; only the first counts. An ordered consumer survives nats-server
 * restarts by re-creating itself at the last sequence it saw.
 */
import type { ConsumerMessages, JetStreamClient } from '@nats-io/jetstream';
import { parseResult, type ResultMessage } from '../../shared/nats/schema.js';
import { RESULTS_STREAM, subjects } from '../../shared/nats/subjects.js';

export interface ResultReader {
  /** Raw messages read (duplicates and bad ones included): compare with the stream's count to know we caught up. */
  readonly received: number;
  readonly duplicates: number;
  /** Seqs that have a result. */
  readonly seen: ReadonlySet<number>;
  stop(): Promise<void>;
}

export interface ResultReaderOptions {
  js: JetStreamClient;
  runId: string;
  /** Number of jobs in the run: results with a seq outside 1..total are reported and ignored. */
  total: number;
  onResult: (result: ResultMessage) => void;
  onProblem: (text: string) => void;
}

export async function startResultReader(o: ResultReaderOptions): Promise<ResultReader> {
  const consumer = await o.js.consumers.get(RESULTS_STREAM, { filter_subjects: subjects.results(o.runId) });
  // Short pulls: after a server restart a lost pull is noticed (missed heartbeat) within seconds, not 30 s.
  const messages: ConsumerMessages = await consumer.consume({ max_messages: 1000, expires: 2000 });
  const seen = new Set<number>();
  let received = 0;
  let duplicates = 0;
  const loop = (async () => {
    for await (const m of messages) {
      received++;
      const parsed = parseResult(m.data);
      if (!parsed.ok) {
        o.onProblem(`ignored a bad result message (stream seq ${m.seq}): ${parsed.error}`);
        continue;
      }
      const r = parsed.value;
      if (r.run_id !== o.runId || r.seq > o.total) {
        o.onProblem(`ignored a result for run ${r.run_id} seq ${r.seq}: not part of this run`);
        continue;
      }
      if (seen.has(r.seq)) {
        duplicates++;
        continue;
      }
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
