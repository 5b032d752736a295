export type { RunOptions, ProcessResult } from './types.js';
export type { ExecRequest, TaskExecutor } from './executor.js';
export { runProcess, cancelExitCode, formatSeconds, CANCEL_EXIT_CODES, PIPE_DRAIN_MS } from './run-process.js';
export { killProcessGroup } from './kill-group.js';
export { utf8CutPoint } from './capture.js';
