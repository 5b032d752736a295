/** Where a command runs: `local` (this machine), `ssh` (exec=ssh) or `agent:NAME`. */
export type RanOn = 'local' | 'ssh' | `agent:${string}`;
