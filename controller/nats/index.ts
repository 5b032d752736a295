export {
  runDistributed,
  resumeDistributed,
  defaultStateDir,
  type DistributedOptions,
  type ResumeOptions,
  type DistributedResult,
} from './run-distributed.js';
export { readRunState, writeRunState, runStatePath, newRunId, type RunState, type RunFile } from './run-state.js';
export { natsSettingsFrom, type NatsSettings } from '../../shared/nats/index.js';
export { runDistributedCli, type DistributedCliRequest } from './cli-entry.js';
