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
  entries?: readonly TaskEntry[];
  /** The `-C` template text. */
  command?: string;
  timeoutSeconds?: number;
  stopLimits?: StopLimitSettings | null;
  maxOutputCapture?: number;
  /** `--results FILE`, resolved. */
  resultsFile?: string;
  /** parallelr config files, lowest precedence first (installation, user); missing ones are skipped. */
  configFiles?: readonly string[];
  quiet?: boolean;
}
