import { shellQuote } from '../../shared/ssh/shell-quote.js';

export { shellQuote };

/** First stderr line the wrapper prints: `TASKER_PGID=<n>`. */
export const PGID_MARKER = 'TASKER_PGID=';

/**
 * The command string sent over SSH for `argv`: the remote login shell runs a tiny `sh` wrapper
 * that puts the task in its own session/process group (setsid, when present; sshd already starts
 * non-pty sessions with setsid), prints `TASKER_PGID=<pgid>` as the first stderr line, then execs
 * the task (argv, each word quoted, so the remote shell does not re-split or expand it).
 * The pgid lets a timeout or cancel kill the whole group from a second channel.
 */
export function wrapRemoteCommand(argv: string[]): string {
  const script = shellQuote(`echo "${PGID_MARKER}$$" >&2; exec "$@"`);
  const words = argv.map(shellQuote).join(' ');
  return `command -v setsid >/dev/null 2>&1 && exec setsid -w sh -c ${script} tasker-ssh ${words}; exec sh -c ${script} tasker-ssh ${words}`;
}

/** Remote command that SIGTERMs process group `pgid`, waits up to `graceMs`, then SIGKILLs what is left. */
export function killGroupCommand(pgid: number, graceMs: number): string {
  const steps = Math.max(1, Math.ceil(graceMs / 100));
  return (
    `kill -TERM -${pgid} 2>/dev/null; i=0; while [ $i -lt ${steps} ]; do ` +
    `kill -0 -${pgid} 2>/dev/null || exit 0; sleep 0.1; i=$((i+1)); done; kill -KILL -${pgid} 2>/dev/null; exit 0`
  );
}
