/**
 * Bounded batch pulls from a pool's durable consumer over one long-lived inbox. The worker asks for
 * exactly the jobs it can take (`request(n)`, one JetStream pull request `{batch: n}`): its free
 * slots, plus one ahead while jobs are quick (job-worker.ts). nats.js's `consumer.next()` builds a
 * new subscription, pull request and heartbeat monitor for every single job; `consume()` refills
 * its buffer as jobs arrive rather than as they are processed, so it does not bound how many wait.
 * Both cost the agent CPU per job here.
 *
 * Bookkeeping: jobs asked for and not yet delivered (`outstanding`) fall as jobs arrive, and when
 * a request ends (408 with `Nats-Pending-Messages`, 409, or its own deadline when the server lost
 * it, e.g. a restart). A miscount can only make the worker ask again early; any job that arrives
 * without a free slot is held with `working()` so its `ack_wait` does not run out (job-slots.ts).
 */
import type { Msg, NatsConnection, Subscription } from '@nats-io/transport-node';
import { createInbox } from '@nats-io/transport-node';

/** The parts of a JetStream message the worker uses. */
export interface PulledJob {
  readonly subject: string;
  readonly data: Uint8Array;
  /** Stream sequence (for logs). */
  readonly seq: number;
  readonly info: { readonly deliveryCount: number };
  ack(): void;
  /** Hand the job back, to be redelivered after `delayMs` (at once without). */
  nak(delayMs?: number): void;
  /** Restart the job's `ack_wait`. */
  working(): void;
  /** Never redeliver the job. */
  term(reason?: string): void;
}

interface PullRequest {
  left: number;
  deadline: NodeJS.Timeout;
}

/** A request the server lost (restart, reconnect) ends on our side this long after it expired. */
const DEADLINE_GRACE_MS = 1000;

const encoder = new TextEncoder();

export class JobPuller {
  private readonly inbox = createInbox();
  private readonly requests: PullRequest[] = [];
  private sub?: Subscription;

  /**
   * @param nextSubject `$JS.API.CONSUMER.MSG.NEXT.<stream>.<consumer>`
   * @param onJob called with every delivered job
   * @param onEnded called when a request ends before all its jobs came (expired, lost, or refused:
   *   then with the reason, and the worker should wait a little before asking again)
   * @param onAnswer called on every message from the server on our inbox: a round trip completed
   */
  constructor(
    private readonly nc: NatsConnection,
    private readonly nextSubject: string,
    private readonly expiresMs: number,
    private readonly onJob: (job: PulledJob) => void,
    private readonly onEnded: (problem?: string) => void,
    private readonly onAnswer?: () => void,
  ) {}

  start(): void {
    this.sub = this.nc.subscribe(this.inbox, { callback: (err, m) => (err ? this.onEnded(err.message) : this.receive(m)) });
  }

  /** Jobs asked for and not yet delivered. */
  get outstanding(): number {
    let n = 0;
    for (const r of this.requests) n += r.left;
    return n;
  }

  /** Ask for `n` more jobs, delivered as they are available until the request expires. */
  request(n: number): void {
    if (n < 1 || !this.sub || this.nc.isClosed()) return;
    const req: PullRequest = {
      left: n,
      deadline: setTimeout(() => {
        this.end(req);
        this.onEnded();
      }, this.expiresMs + DEADLINE_GRACE_MS),
    };
    this.requests.push(req);
    const body = JSON.stringify({ batch: n, expires: this.expiresMs * 1e6 });
    try {
      this.nc.publish(this.nextSubject, encoder.encode(body), { reply: this.inbox });
    } catch (e) {
      this.end(req);
      this.onEnded((e as Error).message);
    }
  }

  /** Forget every request (after a reconnect the server has none of them). */
  forget(): void {
    for (const r of this.requests.splice(0)) clearTimeout(r.deadline);
  }

  private end(req: PullRequest): void {
    clearTimeout(req.deadline);
    const i = this.requests.indexOf(req);
    if (i >= 0) this.requests.splice(i, 1);
  }

  private receive(m: Msg): void {
    this.onAnswer?.();
    if (m.subject === this.inbox) return this.status(m);
    const oldest = this.requests[0];
    if (oldest && --oldest.left <= 0) this.end(oldest);
    const job = pulledJob(m);
    if (job) this.onJob(job);
    else this.onEnded(`a job on ${m.subject} came without a JetStream ack subject; ignored`);
  }

  /** A status message about our requests: 100 heartbeat, 404/408 request done, 409 refused or ended. */
  private status(m: Msg): void {
    const code = m.headers?.code ?? 0;
    if (code === 100) return;
    if (this.requests.length) this.end(this.requests[0]!);
    this.onEnded(code === 404 || code === 408 ? undefined : `pull request ended: ${code} ${m.headers?.description ?? ''}`.trim());
  }
}

/** Wrap a delivered job; undefined when its reply is not a JetStream ack subject. */
export function pulledJob(m: Msg): PulledJob | undefined {
  // $JS.ACK.<stream>.<consumer>.<delivered>.<stream seq>.<consumer seq>.<time>.<pending>, or with
  // domain and account hash after `$JS.ACK` (newer servers), optionally a random token at the end.
  const tokens = m.reply?.split('.') ?? [];
  if (tokens[0] !== '$JS' || tokens[1] !== 'ACK') return undefined;
  if (tokens.length === 9) tokens.splice(2, 0, '_', '');
  const deliveryCount = Number(tokens[6]);
  const seq = Number(tokens[7]);
  if (!Number.isSafeInteger(deliveryCount) || !Number.isSafeInteger(seq)) return undefined;
  let done = false;
  const reply = (text: string, final: boolean) => {
    if (done) return;
    done = final;
    m.respond(encoder.encode(text));
  };
  return {
    subject: m.subject,
    data: m.data,
    seq,
    info: { deliveryCount },
    ack: () => reply('+ACK', true),
    nak: (delayMs) => reply(delayMs ? `-NAK ${JSON.stringify({ delay: delayMs * 1e6 })}` : '-NAK', true),
    working: () => reply('+WPI', false),
    term: (reason) => reply(reason ? `+TERM ${reason}` : '+TERM', true),
  };
}
