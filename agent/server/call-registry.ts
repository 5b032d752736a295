import type { StartedChild } from '../../shared/exec/index.js';
import type { ProcessResult } from '../../shared/exec/index.js';

/** InfoResponse.features: pipelined Execute (ExecuteRequest.after_call) and the Session method. */
export const AGENT_FEATURES = ['after_call', 'session'];

/** How many ended calls stay findable by a pipelined call that arrives after them. */
const KEEP_ENDED = 1024;

/** One Execute call as a later call's `after_call` sees it. */
export class CallEntry {
  /** Its program, once started; undefined when the call ended without starting one. */
  readonly child: Promise<StartedChild | undefined>;
  /** Its result; undefined when it ran nothing (refused, cancelled while queued, not started). */
  readonly result: Promise<ProcessResult | undefined>;
  ended = false;
  private setChild!: (c: StartedChild | undefined) => void;
  private setResult!: (r: ProcessResult | undefined) => void;

  constructor(private readonly onEnd: () => void) {
    this.child = new Promise((resolve) => (this.setChild = resolve));
    this.result = new Promise((resolve) => (this.setResult = resolve));
  }

  started(child: StartedChild): void {
    this.setChild(child);
  }

  end(result: ProcessResult | undefined): void {
    if (this.ended) return;
    this.ended = true;
    this.onEnd();
    this.setChild(undefined); // no effect when it started
    this.setResult(result);
  }
}

/**
 * The agent's Execute calls by (run_id, call_id), so that a pipelined call (`after_call`) finds
 * the call it follows. Running calls stay as long as they run; ended ones are forgotten oldest
 * first beyond {@link KEEP_ENDED}. A pipelined call that no longer finds its predecessor is not
 * started (the controller then runs the task itself the ordinary way).
 */
export class CallRegistry {
  private readonly calls = new Map<string, CallEntry>();
  private endedCount = 0;
  /** Cancels of pipelined calls still waiting for their predecessor (a drain stops them). */
  readonly waiting = new Set<() => void>();

  add(runId: string, callId: string): CallEntry {
    const key = `${runId}\0${callId}`;
    const entry = new CallEntry(() => {
      if (this.calls.get(key) === entry && ++this.endedCount > KEEP_ENDED) this.evict();
    });
    const old = this.calls.get(key);
    if (old?.ended) this.endedCount--;
    this.calls.delete(key); // re-inserted last: eviction goes by age
    this.calls.set(key, entry);
    return entry;
  }

  get(runId: string, callId: string): CallEntry | undefined {
    return this.calls.get(`${runId}\0${callId}`);
  }

  /** Stop every pipelined call that is still waiting (draining: no new programs start). */
  stopWaiting(): void {
    for (const cancel of [...this.waiting]) cancel();
  }

  private evict(): void {
    for (const [key, entry] of this.calls) {
      if (this.endedCount <= KEEP_ENDED / 2) break;
      if (!entry.ended) continue;
      this.calls.delete(key);
      this.endedCount--;
    }
  }
}
