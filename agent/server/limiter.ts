import { AbortedError, BusyError } from '../../shared/errors/index.js';
import { whenAborted } from '../../shared/when-aborted.js';

interface Waiter {
  grant: (release: () => void) => void;
  reject: (err: Error) => void;
}

/**
 * Bounded concurrency with a bounded FIFO queue: `maxConcurrent` runs at once, up to `maxQueue`
 * more wait, anything beyond is refused at once (the caller answers RESOURCE_EXHAUSTED).
 */
export class ConcurrencyLimiter {
  private active = 0;
  private readonly waiters: Waiter[] = [];
  private closedReason: string | undefined;

  constructor(
    readonly maxConcurrent: number,
    readonly maxQueue: number,
  ) {}

  get running(): number {
    return this.active;
  }

  get queued(): number {
    return this.waiters.length;
  }

  /** Resolves with a release function once a slot is free; `signal` abort drops a queued wait. */
  acquire(signal?: AbortSignal): Promise<() => void> {
    if (this.closedReason) return Promise.reject(new AbortedError(this.closedReason));
    if (this.active < this.maxConcurrent) {
      this.active++;
      return Promise.resolve(this.releaser());
    }
    if (this.waiters.length >= this.maxQueue) {
      return Promise.reject(
        new BusyError(
          `agent busy: ${this.active} tasks running and ${this.waiters.length} queued ` +
            `(--max-concurrent ${this.maxConcurrent}, --max-queue ${this.maxQueue}); try again later or raise the limits`,
        ),
      );
    }
    return new Promise((resolve, reject) => {
      let unlisten = () => undefined as void;
      const waiter: Waiter = {
        grant: (release) => {
          unlisten();
          resolve(release);
        },
        reject: (err) => {
          unlisten();
          reject(err);
        },
      };
      this.waiters.push(waiter);
      // Queued first, so a call cancelled before it got here leaves the queue at once.
      unlisten = whenAborted(signal, () => {
        const i = this.waiters.indexOf(waiter);
        if (i >= 0) this.waiters.splice(i, 1);
        reject(new AbortedError('canceled while queued'));
      });
    });
  }

  /**
   * A slot at once, past the limit if need be: for a pipelined task the launcher started the
   * moment its predecessor's program exited, so it replaces that program (whose call still holds
   * its slot for the moment it takes to send the result).
   */
  take(): () => void {
    this.active++;
    return this.releaser();
  }

  /** Refuse new work and fail every queued waiter with `reason`; running work keeps its slots. */
  close(reason: string): void {
    this.closedReason = reason;
    for (const w of this.waiters.splice(0)) w.reject(new AbortedError(reason));
  }

  private releaser(): () => void {
    let released = false;
    return () => {
      if (released) return;
      released = true;
      const next = this.waiters.shift();
      if (next) next.grant(this.releaser());
      else this.active--;
    };
  }
}
