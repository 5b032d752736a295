export type { RunOptions, ProcessResult } from './types.js';
export type { ExecRequest, TaskExecutor } from './executor.js';
export { runProcess, runProcessStartingAhead, cancelExitCode, formatSeconds, CANCEL_EXIT_CODES, DEFAULT_KILL_GRACE_MS, PIPE_DRAIN_MS } from './run-process.js';
export { killProcessGroup } from './kill-group.js';
export { splitArgs, quoteArg, type SplitResult } from './split-args.js';
export {
  builtinExecTypes,
  defaultRegistry,
  resolveExecType,
  execTypeNames,
  buildArgv,
  connectivityArgv,
  formatTemplateElement,
  unknownPlaceholders,
  BUILTIN_ALIASES,
  ARGUMENTS_SPLIT,
  TEMPLATE_PLACEHOLDERS,
  type ExecType,
  type ExecTypeRegistry,
  type ConnectivityTest,
  type BuildArgvInput,
} from './exec-types.js';
export { findBinary, missingBinaryMessage } from './find-binary.js';
export { spawnFallbackWarning } from './launcher.js';
export { discardAheadProcess, type AheadCommand, type ProcessStartAhead, type ProcessStartAheadResult } from './start-ahead.js';
export { DEFAULT_CAPTURE_LIMIT, DEFAULT_PREVIEW_LIMIT, StreamCapture, applyCaptures, utf8CutPoint } from './capture.js';
export { SCAN_CHUNK_BYTES, endWithoutNewlines, endWithoutWhitespace, readTailText, readTextChunks } from './spill-reader.js';
export { spilledOutput } from './spilled-output.js';
export { FedOutput } from './fed-output.js';
export type { AheadProcess, StartedChild } from './launcher-child.js';
export { childPids, processExists } from './process-tree.js';
export { spillDirOf } from './spill-dir.js';
export { taskerArguments } from './tasker-command.js';
