/** How long a cancel is remembered: a job of that run delivered later is recorded CANCELLED, never run. */
const CANCEL_MEMORY_MS = 6 * 3600 * 1000;

/** The runs cancelled by their controllers (`tasker.cancel.<run>`), as this agent heard them. */
export class RunCancels {
  private readonly heardAt = new Map<string, number>();

  has(runId: string): boolean {
    return this.heardAt.has(runId);
  }

  /**
   * Note a cancel of `runId`; whether it was heard before (a stopping controller sends it again
   * while it waits: agents that were disconnected hear it then).
   */
  hear(runId: string): boolean {
    const now = Date.now();
    const before = this.heardAt.has(runId);
    this.heardAt.set(runId, now);
    for (const [id, t] of this.heardAt) if (now - t > CANCEL_MEMORY_MS) this.heardAt.delete(id);
    return before;
  }
}
