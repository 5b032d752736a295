/** Instance control: one live run per task file and globals (`--instance-check`, `--force-instance`). */
export { acquireInstanceLock, workflowHash, lockPath, staleReason, type AcquireOptions, type AcquireResult, type LockHolder } from './lock.js';
