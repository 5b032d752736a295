/**
 * Acks of jobs whose result is stored, sent together with the worker's next publish (a claim or a
 * result leaves in the same socket write when `send()` is called just before it), or on their own
 * after `delayMs`. A late ack costs nothing: a job redelivered meanwhile finds its stored result at
 * the claim and is acked without running (claim-job.ts). docs/nats.md "Throughput" has the figures.
 */
import type { PulledJob } from './pull-jobs.js';

export class LateAcks {
  private readonly queued: PulledJob[] = [];
  private timer?: NodeJS.Timeout;

  constructor(private readonly delayMs: number) {}

  add(job: PulledJob): void {
    this.queued.push(job);
    this.timer ??= setTimeout(() => this.send(), this.delayMs);
  }

  /** Send every queued ack now. */
  send(): void {
    clearTimeout(this.timer);
    this.timer = undefined;
    for (const job of this.queued.splice(0)) {
      try {
        job.ack();
      } catch {
        // a closed connection: the job is redelivered, and acked at its claim
      }
    }
  }
}
