/** Auto-recovery: the state file written after every top-level task, and resuming from it. */
export {
  RECOVERY_VERSION, recoveryPath, saveRecovery, deleteRecovery, sha256,
  type RecoveryState, type TaskResultJson, type GlobalVarMeta,
} from './state.js';
export { loadRecovery, describeEnvChange, type LoadRecoveryResult, type LoadRecoveryOptions, type EnvChange } from './load.js';
export { stateFromOutcome, restoreStore, restoreResults, restoreResume, formatRecoveryInfo, type RecoveryMeta } from './convert.js';
