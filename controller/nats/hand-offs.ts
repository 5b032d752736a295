/**
 * Files of a batch that an agent hands back (agent/nats/batch-parts.ts: they waited too long for a
 * slot there) are published again by the controller as jobs of their own, for any idle agent to
 * take: agents never publish jobs. Each is published from the run's own file, with a message id
 * naming the batch delivery, so a repeated hand-off is stored once.
 */
import type { NatsConnection, Subscription } from '@nats-io/transport-node';
import { parseHandOff, subjects, type HandOffReply } from '../../shared/nats/index.js';
import { publishJobs, type PublishOptions } from './publisher.js';

/** `publish`: how the run publishes its jobs (its publisher, state, max_payload, stop signal). */
export function serveHandOffs(nc: NatsConnection, publish: Omit<PublishOptions, 'seqs' | 'onFailure'>): Subscription {
  const { state } = publish;
  const encoder = new TextEncoder();
  const reply = (m: { respond(data: Uint8Array): boolean }, r: HandOffReply) => {
    try {
      m.respond(encoder.encode(JSON.stringify(r)));
    } catch {
      // the agent gave up waiting: it hands the batch back instead
    }
  };
  return nc.subscribe(subjects.handOff(state.runId), {
    callback: (err, m) => {
      if (err) return;
      const req = parseHandOff(m.data, state.files.length);
      if (!req) return reply(m, { ok: false, error: 'not a hand-off request of this run' });
      const errors: string[] = [];
      void publishJobs({
        ...publish, seqs: req.seqs, batch: 1, idTag: `handoff.${req.stream_seq}.${req.delivery}`, onFailure: (f) => errors.push(f.error),
      }).then(
        (stored) => reply(m, stored === req.seqs.length ? { ok: true } : { ok: false, error: errors[0] ?? 'the run is stopping' }),
        (e: Error) => reply(m, { ok: false, error: e.message }),
      );
    },
  });
}
