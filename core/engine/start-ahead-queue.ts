/**
 * The tasks an executor started ahead of the running one (start ahead, see
 * core/executors/start-ahead.ts), in order: each starts the moment the one before it exits
 * with status 0 on its own. The engine takes the head when that task's turn comes; any other
 * route discards them all, so nothing runs unsupervised.
 */
import type { StartedAhead } from '../executors/index.js';
import type { Task } from '../../shared/taskfile/model.js';
import type { PreparedTask } from './engine-types.js';
import type { RunLog } from './run-log.js';

/** A task that may be started ahead, prepared once (its fields use no variables). */
export interface AheadCandidate {
  key: string;
  task: Task;
  prepared: PreparedTask;
}

export interface AheadEntry extends AheadCandidate {
  handle: StartedAhead;
}

export class StartAheadQueue {
  private entries: AheadEntry[] = [];

  constructor(private readonly log: RunLog) {}

  get length(): number {
    return this.entries.length;
  }

  /** The last task started ahead: new ones start after it. */
  get last(): AheadEntry | undefined {
    return this.entries.at(-1);
  }

  /** Record the handles an executor returned for `candidates` (in order; it may take fewer). */
  accept(handles: StartedAhead[] | undefined, candidates: AheadCandidate[]): void {
    handles?.forEach((handle, i) => this.entries.push({ ...candidates[i]!, handle }));
  }

  /** The task started ahead for this turn if it is task `key`; otherwise all are discarded. */
  take(key: string): AheadEntry | undefined {
    const head = this.entries[0];
    if (!head) return undefined;
    if (head.key === key) return this.entries.shift();
    void this.drop(`was started ahead, but Task ${key} runs instead`);
    return undefined;
  }

  /** Whether the next task started ahead (task `id`, when given) did start. */
  async startedFor(id?: number): Promise<boolean> {
    const head = this.entries[0];
    if (!head || (id !== undefined && head.key !== String(id))) return false;
    return head.handle.started;
  }

  /** Discard every task started ahead; those that had started are killed and named in a warning. */
  async drop(why: string): Promise<void> {
    const dropped = this.entries;
    this.entries = [];
    const started = await Promise.all(dropped.map((a) => a.handle.discard()));
    dropped.forEach((a, i) => started[i] && this.log.warn(`Task ${a.key}: ${why}; its process group was killed`));
  }
}
