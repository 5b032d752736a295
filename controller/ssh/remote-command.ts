import { shellQuote } from '../../shared/ssh/index.js';

export { shellQuote };

/** First stderr line the wrapper prints: `TASKER_PGID=<n>`. */
export const PGID_MARKER = 'TASKER_PGID=';

/**
 * The command string sent over SSH for `argv` (each word quoted, so the remote shell does not
 * re-split or expand it). The task must lead its own process group, whose id is printed as the
 * first stderr line (`TASKER_PGID=<pgid>`), so a timeout or cancel can kill the whole group from a
 * second channel.
 *
 * OpenSSH's sshd already starts every non-pty session with setsid(), so the login shell leads its
 * group: the fast path checks that (pgrp, field 5 of /proc/$$/stat, equals $$), prints the marker
 * and execs the task in place, with no extra process (the old wrapper's `setsid -w sh -c` cost a
 * fork and two execs, ~2 ms per command here). Elsewhere it falls back to `setsid -w sh -c`, or a
 * plain `sh -c` where setsid is missing.
 */
export function wrapRemoteCommand(argv: string[]): string {
  const script = shellQuote(`echo "${PGID_MARKER}$$" >&2; exec "$@"`);
  const words = argv.map(shellQuote).join(' ');
  return (
    `read -r _ _ _ _ g _ 2>/dev/null </proc/$$/stat; if [ "$g" = "$$" ]; then echo "${PGID_MARKER}$$" >&2; exec ${words}; fi; ` +
    `command -v setsid >/dev/null 2>&1 && exec setsid -w sh -c ${script} tasker-ssh ${words}; exec sh -c ${script} tasker-ssh ${words}`
  );
}

/** Remote command that SIGTERMs process group `pgid`, waits up to `graceMs`, then SIGKILLs what is left. */
export function killGroupCommand(pgid: number, graceMs: number): string {
  const steps = Math.max(1, Math.ceil(graceMs / 100));
  return (
    `kill -TERM -${pgid} 2>/dev/null; i=0; while [ $i -lt ${steps} ]; do ` +
    `kill -0 -${pgid} 2>/dev/null || exit 0; sleep 0.1; i=$((i+1)); done; kill -KILL -${pgid} 2>/dev/null; exit 0`
  );
}

/** Remote command that SIGKILLs process group `pgid` at once (the operator ended the grace: a second Ctrl-C). */
export function killGroupNowCommand(pgid: number): string {
  return `kill -KILL -${pgid} 2>/dev/null; exit 0`;
}
