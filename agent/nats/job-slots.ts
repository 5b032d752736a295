/**
 * The slots of a NATS worker: which are free, each one's reusable workspace, and the jobs that
 * arrived while none was free. Such a job is held with `working()` (well inside the pool's
 * `ack_wait`) until a slot frees, so it is not redelivered while it waits; the worker asks only
 * for as many jobs as it has free slots, so this happens only when a pull request was miscounted.
 */
import type { PulledJob } from './pull-jobs.js';
import { SlotWorkspace } from './workspaces.js';

export class JobSlots {
  /** Free slots, the next to use last. */
  private readonly free: number[] = [];
  private readonly workspaces = new Map<number, SlotWorkspace>();
  private readonly waiting: PulledJob[] = [];
  private holdTimer?: NodeJS.Timeout;

  /** @param workingEvery how often a held job calls working(), in ms (read each time: ack_wait may change) */
  constructor(max: number, workdir: string, private readonly workingEvery: () => number) {
    for (let slot = max; slot >= 1; slot--) {
      this.free.push(slot);
      this.workspaces.set(slot, new SlotWorkspace(workdir, slot));
    }
  }

  /** Free slots not spoken for by a held job. */
  get available(): number {
    return this.free.length - this.waiting.length;
  }

  /** A free slot for `job`, or undefined when none is free (the job is then held). */
  assign(job: PulledJob): number | undefined {
    const slot = this.free.pop();
    if (slot === undefined) this.hold(job);
    return slot;
  }

  /** The slot is free again; returns a held job to run in it, if any. */
  release(slot: number): PulledJob | undefined {
    this.free.push(slot);
    return this.waiting.shift();
  }

  workspace(slot: number): SlotWorkspace {
    return this.workspaces.get(slot)!;
  }

  /** Hand back every held job (stop). */
  handBackHeld(): void {
    for (const m of this.waiting.splice(0)) safely(() => m.nak());
  }

  /** Remove the workspaces (after the last job). */
  async dispose(): Promise<void> {
    clearTimeout(this.holdTimer);
    this.handBackHeld();
    await Promise.all([...this.workspaces.values()].map((w) => w.remove()));
  }

  private hold(job: PulledJob): void {
    this.waiting.push(job);
    if (this.holdTimer) return;
    const tick = () => {
      this.holdTimer = undefined;
      for (const m of this.waiting) safely(() => m.working());
      if (this.waiting.length) this.holdTimer = setTimeout(tick, this.workingEvery());
    };
    this.holdTimer = setTimeout(tick, this.workingEvery());
  }
}

function safely(fn: () => unknown): void {
  try {
    fn();
  } catch {
    // a closed connection: the job will be redelivered
  }
}
