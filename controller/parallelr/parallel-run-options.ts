import type { HostTallies } from '../../shared/hosts/index.js';
import type { CommandTemplate } from './command.js';
import type { MainLog } from './main-log.js';
import type { ProgressReporter } from './progress.js';
import type { ResultsWriter } from './results-writer.js';
import type { StopLimitSettings } from './stop-limits.js';
import type { TaskOutputWriter } from './task-output.js';
import type { TaskEntry, TaskRecord } from './types.js';

/** Everything one parallel run needs. The CLI builds it; a distributed mode can build its own. */
export interface ParallelRunOptions {
  sessionId: string;
  entries: readonly TaskEntry[];
  template: CommandTemplate;
  /** Pool size, at least 1. */
  maxWorkers: number;
  /** Per-task timeout in seconds (whole process group killed on expiry). */
  timeoutSeconds: number;
  /** Pause between two task starts (not before the first), seconds. */
  startDelaySeconds?: number;
  /** SIGTERM → SIGKILL grace for a task's group, ms. Default 2000. */
  killGraceMs?: number;
  /** Auto-stop settings, or null when stop limits are off. */
  stopLimits?: StopLimitSettings | null;
  /** Shared directory, or the parent of one `pid<PID>_task<N>` directory per task when isolated. */
  workspace: { dir: string; isolated: boolean };
  /** Used in isolated workspace names. Default process.pid. */
  pid?: number;
  maxArgumentLength?: number;
  /** Characters of each stream kept for the TaskResults file. */
  maxOutputCapture?: number;
  /** Task files bigger than this are an ERROR, not run. */
  maxFileSize?: number;
  /** Run `tasker …` commands through the engine in this process. Default true. */
  inProcessTasker?: boolean;
  results?: ResultsWriter | null;
  taskOutput?: TaskOutputWriter | null;
  log?: MainLog | null;
  progress?: ProgressReporter | null;
  /** Awaited before each task starts (the input backup holds a task until its file is saved). */
  beforeTask?: (entry: TaskEntry) => Promise<void>;
  /** Called after each record is written (registry progress, distributed bookkeeping). */
  onRecord?: (record: TaskRecord, counts: { done: number; total: number }) => void;
}

export interface ParallelRunResult {
  /** Completion order; tasks that never started come last, in discovery order. */
  records: TaskRecord[];
  /** The auto-stop message when a stop limit tripped. */
  stopReason?: string;
  /** 'SIGINT' / 'SIGTERM' when io.signal stopped the run. */
  interrupted?: string;
  elapsedSeconds: number;
  /** How many tasks went through the in-process engine. */
  inProcessCount: number;
  /** Per-host counts summed over the task files run in-process (spawned commands report none). */
  hosts: HostTallies;
  /** How many task files reported host counts. */
  hostsFiles: number;
}
