/** Follows a running run's log as it grows (only the new bytes), for its progress, busy slots and ETA. */
import { statSync } from 'node:fs';
import type { RunSummary } from './run-summary.js';
import { scanLines } from './scan-lines.js';

export interface Slot {
  /** `worker 2`, or an agent's name and slot for a distributed run. */
  name: string;
  task: string;
  sinceMs: number;
}

export interface AgentLoad {
  name: string;
  busy: number;
  max?: number;
  /** 1-minute load average, from the agent's heartbeat. */
  load?: number;
}

export interface LiveState {
  id: string;
  status: RunSummary['status'];
  done: number;
  total?: number;
  failed: number;
  exitCode?: number;
  durationSeconds?: number;
  etaSeconds?: number;
  slots: Slot[];
  /** A distributed run's agents: their busy slots and load (from NATS). */
  agents?: AgentLoad[];
  /** Newest last. */
  failures: string[];
}

const PR_START = / - \[(\d+)\/(\d+)\] worker (\d+): (.*)$/;
const PR_END = / - Worker (\d+) \[\d+\/\d+\]: (\w+) (.*)$/;
const TK_EXEC = /\] Task (\d+(?:[.-]\d+)?): Executing \[[^\]]*\](?: on [^:]*)?: (.*)$/;
const TK_DONE = /\] Task (\d+)(?:\.\d+)?: Completed - Success: (True|False)/;

export class LiveProgress {
  private offset = 0;
  private readonly slots = new Map<string, Slot>();
  private readonly failures: string[] = [];
  private readonly doneTasks = new Set<string>();
  private failed = 0;

  constructor(readonly run: RunSummary) {}

  /** Reads what the log gained since the last call; bounded per call. */
  advance(): void {
    const path = this.run.logFile;
    if (!path) return;
    let size: number;
    try {
      size = statSync(path).size;
    } catch {
      return;
    }
    if (size <= this.offset) return;
    this.offset = scanLines(path, this.offset, 8 << 20, (line) => {
      if (this.run.kind === 'parallelr') this.parallelrLine(line);
      else this.taskerLine(line);
      return true;
    });
  }

  private parallelrLine(line: string): void {
    const s = PR_START.exec(line);
    if (s) {
      this.slots.set(`worker ${s[3]}`, { name: `worker ${s[3]}`, task: s[4]!, sinceMs: Date.now() });
      return;
    }
    const e = PR_END.exec(line);
    if (e) {
      this.slots.delete(`worker ${e[1]}`);
      if (e[2] !== 'SUCCESS') this.pushFailure(`worker ${e[1]}: ${e[2]} ${e[3]}`);
    }
  }

  private taskerLine(line: string): void {
    const x = TK_EXEC.exec(line);
    if (x) {
      this.slots.set('tasker', { name: `task ${x[1]}`, task: x[2]!, sinceMs: Date.now() });
      return;
    }
    const d = TK_DONE.exec(line);
    if (d) {
      this.doneTasks.add(d[1]!);
      this.slots.delete('tasker');
      if (d[2] === 'False') {
        this.failed++;
        this.pushFailure(`task ${d[1]} failed`);
      }
    }
  }

  private pushFailure(text: string): void {
    this.failures.push(text);
    if (this.failures.length > 20) this.failures.shift();
  }

  state(run: RunSummary, nowMs = Date.now()): LiveState {
    const done = run.kind === 'parallelr' ? (run.done ?? 0) : this.doneTasks.size;
    const total = run.total;
    const failed = run.kind === 'parallelr' ? (run.failedTasks ?? 0) : this.failed;
    const elapsed = (nowMs - run.startMs) / 1000;
    const eta = run.status === 'running' && total && done > 0 && done < total ? (elapsed / done) * (total - done) : undefined;
    return {
      id: run.id, status: run.status, done, total, failed, exitCode: run.exitCode,
      durationSeconds: run.durationSeconds ?? (run.status === 'running' ? elapsed : undefined),
      etaSeconds: eta, slots: run.status === 'running' ? [...this.slots.values()] : [], failures: [...this.failures],
    };
  }
}
