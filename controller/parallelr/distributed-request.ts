import type { StopLimitSettings } from './stop-limits.js';
import type { TaskEntry } from './types.js';

/** What parallelr hands to a distributed run (`--nats URL [--pool NAME]`, `--resume RUN_ID`). */
export interface DistributedCliRequest {
  /** `--nats URL` (undefined: environment or config `nats.url`). */
  nats?: string;
  /** `--pool NAME`. */
  pool?: string;
  /** `--nats-replicas N` (text; validated with the other NATS settings). */
  replicas?: string;
  /** `--resume RUN_ID`: re-attach instead of starting a run (entries/command are then ignored). */
  resume?: string;
  /** `--watch RUN_ID`: follow a running run instead of starting one. */
  watch?: string;
  /**
   * `-k PID` of a distributed run whose controller had to be killed (SIGKILL): cancel the run on
   * its agents from here (servers and pool as its registry entry names them).
   */
  cancel?: { runId: string; servers: string; pool: string };
  entries?: readonly TaskEntry[];
  /** The `-C` template text. */
  command?: string;
  timeoutSeconds?: number;
  stopLimits?: StopLimitSettings | null;
  maxOutputCapture?: number;
  /** `--no-in-process` gives false: agents start tasker files as processes too. */
  inProcess?: boolean;
  /** `--batch N`: task files per job message (absent: chosen from the pool's agents). */
  batch?: number;
  /** `--results FILE`, resolved. */
  resultsFile?: string;
  /** parallelr config files, lowest precedence first (installation, user); missing ones are skipped. */
  configFiles?: readonly string[];
  quiet?: boolean;
  /** Main log level and rotation, and `--log-task-output`, as a local run would use them. */
  logging?: { level: 'DEBUG' | 'INFO' | 'WARNING' | 'ERROR' | 'CRITICAL'; maxBytes: number; backups: number; taskOutput: boolean };
  /** This parallelr's process id and whether it is a daemon child (the registry entry --list-workers shows). */
  pid?: number;
  daemon?: boolean;
  /** Back up the task files as a local run does (absent with `--no-backup-inputs`); `argv` goes in the backup's session.json. */
  backupInputs?: { argv: readonly string[] };
}
