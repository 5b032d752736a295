/**
 * The slots of a NATS worker: which are free, each one's reusable workspace, and the jobs that
 * arrived while none was free (the one job asked for ahead while jobs are quick, or a miscounted
 * pull request). Such a job is held with `working()` (well inside the pool's `ack_wait`), so it is
 * not redelivered while it waits; one held longer than HOLD_LIMIT_MS (the running jobs turned out
 * long) is handed back (`nak`) for an idle agent to take, or, a part of a batch, handed off as a job
 * of its own. It has not been claimed, so it has not run here; its next delivery counts one more in
 * the result's `delivery`.
 */
import type { JobMessage } from '../../shared/nats/index.js';
import type { PulledJob } from './pull-jobs.js';
import { safely } from './safely.js';
import type { BatchClaim } from './batch-claim.js';
import { SlotWorkspace } from './workspaces.js';

/** A delivered job, parsed; a part of a batch can also be handed off to the pool on its own (batch-parts.ts). */
export interface SlotJob extends PulledJob {
  readonly job: JobMessage;
  /** A part of a batch claimed whole (batch-claim.ts). */
  readonly batch?: BatchClaim;
  handOff?(): void;
}

/** How long a delivered job may wait here for a slot before it is handed back. */
const HOLD_LIMIT_MS = 2000;
/** A workspace that cannot be made is logged at most this often. */
const WORKSPACE_SAY_EVERY_MS = 60_000;

export class JobSlots {
  /** Free slots, the next to use last. */
  private readonly free: number[] = [];
  private readonly workspaces = new Map<number, SlotWorkspace>();
  private readonly waiting: { job: SlotJob; since: number }[] = [];
  private holdTimer?: NodeJS.Timeout;
  private workspaceSaid = 0;

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
  assign(job: SlotJob): number | undefined {
    const slot = this.free.pop();
    if (slot === undefined) this.hold(job);
    return slot;
  }

  /** The slot is free again; returns a held job to run in it, if any. */
  release(slot: number): SlotJob | undefined {
    this.free.push(slot);
    return this.waiting.shift()?.job;
  }

  workspace(slot: number): SlotWorkspace {
    return this.workspaces.get(slot)!;
  }

  /**
   * Whether the slot's workspace is there or can be made; when not, `say` gets the error, at most
   * once a minute (every job pulled meanwhile goes back, and would say it again).
   */
  workspaceReady(slot: number, say: (error: string) => void): boolean {
    try {
      this.workspace(slot).path();
      return true;
    } catch (e) {
      if (Date.now() - this.workspaceSaid >= WORKSPACE_SAY_EVERY_MS) {
        this.workspaceSaid = Date.now();
        say((e as Error).message);
      }
      return false;
    }
  }

  /** Hand back every held job (stop). */
  handBackHeld(): void {
    for (const w of this.waiting.splice(0)) safely(() => w.job.nak());
  }

  /** Remove the workspaces (after the last job). */
  async dispose(): Promise<void> {
    clearTimeout(this.holdTimer);
    this.handBackHeld();
    await Promise.all([...this.workspaces.values()].map((w) => w.remove()));
  }

  private hold(job: SlotJob): void {
    this.waiting.push({ job, since: Date.now() });
    if (this.holdTimer) return;
    const tick = () => {
      this.holdTimer = undefined;
      const now = Date.now();
      for (const w of this.waiting.splice(0)) {
        if (now - w.since >= HOLD_LIMIT_MS) safely(() => (w.job.handOff ? w.job.handOff() : w.job.nak()));
        else {
          safely(() => w.job.working());
          this.waiting.push(w);
        }
      }
      if (this.waiting.length) this.holdTimer = setTimeout(tick, Math.min(this.workingEvery(), HOLD_LIMIT_MS));
    };
    this.holdTimer = setTimeout(tick, Math.min(this.workingEvery(), HOLD_LIMIT_MS));
  }
}
