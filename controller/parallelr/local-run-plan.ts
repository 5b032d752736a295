import type { CliIo } from '../../shared/cli-io.js';
import type { CommandTemplate } from './command.js';
import type { ParallelrConfig } from './config.js';
import type { CliOptions } from './options.js';
import type { ParallelrDirs } from './paths.js';
import type { RunTasksContext } from './run-context.js';
import type { StopLimitSettings } from './stop-limits.js';
import type { TaskEntry } from './types.js';

/** Everything decided before a run in this process starts: the command line with configuration applied. */
export interface LocalRunPlan {
  opts: CliOptions;
  dirs: ParallelrDirs;
  io: CliIo;
  ctx: RunTasksContext;
  config: ParallelrConfig;
  template: CommandTemplate;
  entries: TaskEntry[];
  argumentsPath?: string;
  envNames: string[];
  /** The environment tasks get (frozen, without the daemon marker). */
  env: NodeJS.ProcessEnv;
  isDaemonChild: boolean;
  /** Timestamp used in session file names. */
  stamp: string;
  maxWorkers: number;
  timeoutSeconds: number;
  startDelaySeconds: number;
  /** Auto-stop settings, or null when stop limits are off. */
  stopLimits: StopLimitSettings | null;
  /** The stop limits in words (banner, summary). */
  stopDescription: string;
  out: (text: string) => void;
  err: (text: string) => void;
}
