/**
 * JetStream publishes that wait for the stream's acknowledgement, all answered on one reply
 * subscription made once per connection: the hot path of the NATS worker (claims, results) and of
 * the controller's job publishing. It does what `js.publish` does on the wire (the same headers,
 * the same answers) without a request object, a timer and an error with a stack per message;
 * docs/nats.md "Throughput" has the measured reason.
 *
 * An answer is the stream's PubAck (`{stream, seq, duplicate?}`), an API error
 * (`{error: {code, err_code, description}}`: e.g. 10071, wrong last sequence), or a 503 status
 * (no stream listens on the subject: no responders, a stream without a leader). Unanswered
 * publishes fail with a timeout; a closed connection fails every pending one.
 */
import { randomUUID } from 'node:crypto';
import type { Msg, MsgHdrs, NatsConnection, Subscription } from '@nats-io/transport-node';
import { StoreError } from '../errors/index.js';

export interface StoredAck {
  stream: string;
  seq: number;
  /** The message id was seen within the stream's duplicate window: stored before, not again. */
  duplicate: boolean;
}

export interface StorePublishOptions {
  /** `Nats-Msg-Id`: a retried publish stored before counts once. */
  msgID?: string;
  /** `Nats-Expected-Last-Subject-Sequence`: store only if the subject's last message is this one (0: none). */
  expectLastSubjectSequence?: number;
  timeoutMs?: number;
}

interface Pending {
  resolve: (ack: StoredAck) => void;
  reject: (e: StoreError) => void;
  deadline: number;
}

const DEFAULT_TIMEOUT_MS = 5000;
/** How often unanswered publishes are checked against their deadline. */
const SWEEP_MS = 250;
const decoder = new TextDecoder();

/**
 * A publisher on `nc`, ready once its reply subscription is known to the server (a flush): in a
 * cluster the server forwards the subscription to the stream leader's server before any publish, so
 * no acknowledgement is sent to a subject the leader does not know yet. The NATS client is loaded
 * here, not when this module is: code that imports shared/nats without connecting (a console
 * without --nats) does not load it.
 */
export async function openStreamPublisher(nc: NatsConnection): Promise<StreamPublisher> {
  const { headers } = await import('@nats-io/transport-node');
  const publisher = new StreamPublisher(nc, headers);
  await nc.flush();
  return publisher;
}

export class StreamPublisher {
  private readonly prefix = `_INBOX.${randomUUID().replaceAll('-', '')}`;
  private readonly sub: Subscription;
  private readonly pending = new Map<number, Pending>();
  private next = 0;
  private sweeper?: NodeJS.Timeout;
  /** Called on every answer from JetStream, an error too: a round trip to the server completed. */
  onAnswer?: () => void;

  /** Use openStreamPublisher; `headers` is the NATS client's header factory. */
  constructor(
    private readonly nc: NatsConnection,
    private readonly headers: () => MsgHdrs,
  ) {
    this.sub = nc.subscribe(`${this.prefix}.*`, { callback: (err, m) => (err ? this.failAll(err.message) : this.answer(m)) });
    void nc.closed().then(() => this.failAll('connection closed'));
  }

  /** Publish `data` on `subject` and resolve with the stream's acknowledgement; rejects with a StoreError. */
  publish(subject: string, data: Uint8Array, opts: StorePublishOptions = {}): Promise<StoredAck> {
    if (this.nc.isClosed()) return Promise.reject(new StoreError('connection closed', { transient: false }));
    const id = ++this.next;
    const h = opts.msgID !== undefined || opts.expectLastSubjectSequence !== undefined ? this.headers() : undefined;
    if (opts.msgID !== undefined) h!.set('Nats-Msg-Id', opts.msgID);
    if (opts.expectLastSubjectSequence !== undefined) h!.set('Nats-Expected-Last-Subject-Sequence', String(opts.expectLastSubjectSequence));
    return new Promise<StoredAck>((resolve, reject) => {
      this.pending.set(id, { resolve, reject, deadline: Date.now() + (opts.timeoutMs ?? DEFAULT_TIMEOUT_MS) });
      this.sweeper ??= setInterval(() => this.sweep(), SWEEP_MS);
      try {
        this.nc.publish(subject, data, { reply: `${this.prefix}.${id}`, ...(h ? { headers: h } : {}) });
      } catch (e) {
        // The client refuses before sending: a message over max_payload, a bad subject, a closed or
        // draining connection. None goes away by trying again (while reconnecting, it buffers instead).
        this.settle(id)?.reject(new StoreError(`cannot publish: ${(e as Error).message}`, { transient: false, cause: e }));
      }
    });
  }

  /** Stop listening; pending publishes fail. */
  close(): void {
    this.failAll('publisher closed');
    this.sub.unsubscribe();
  }

  private answer(m: Msg): void {
    this.onAnswer?.();
    const id = Number(m.subject.slice(this.prefix.length + 1));
    const p = this.settle(id);
    if (!p) return; // answered after its timeout
    const status = m.headers?.code ?? 0;
    if (status === 503 || (status >= 400 && m.data.length === 0)) {
      p.reject(new StoreError(status === 503 ? 'no responders: no stream (leader) for the subject (503)' : `status ${status} ${m.headers?.description ?? ''}`.trim(), { transient: true, status }));
      return;
    }
    let body: { stream?: unknown; seq?: unknown; duplicate?: unknown; error?: { code?: number; err_code?: number; description?: string } };
    try {
      body = JSON.parse(decoder.decode(m.data)) as typeof body;
    } catch {
      p.reject(new StoreError('unreadable answer from JetStream', { transient: true }));
      return;
    }
    if (body.error) {
      const { code, err_code: apiCode, description } = body.error;
      p.reject(new StoreError(description ?? `JetStream error ${code}`, { transient: code === 503 || code === 408, status: code, apiCode }));
      return;
    }
    p.resolve({ stream: String(body.stream), seq: Number(body.seq), duplicate: body.duplicate === true });
  }

  private settle(id: number): Pending | undefined {
    const p = this.pending.get(id);
    if (!p) return undefined;
    this.pending.delete(id);
    if (this.pending.size === 0 && this.sweeper) {
      clearInterval(this.sweeper);
      this.sweeper = undefined;
    }
    return p;
  }

  private sweep(): void {
    const now = Date.now();
    for (const [id, p] of this.pending) if (p.deadline <= now) this.settle(id)?.reject(new StoreError('timeout: JetStream did not acknowledge the message', { transient: true }));
  }

  private failAll(why: string): void {
    for (const id of [...this.pending.keys()]) this.settle(id)?.reject(new StoreError(why, { transient: false }));
  }
}
