/**
 * The terminal going away under a run (the SSH session dropped, the window closed).
 *
 * `carryOnAfterHangup`: SIGHUP does not stop the program. A run half done is not abandoned
 * because nobody can see it; it goes to its end, output dropped, records written
 * (docs/hostile-input.md, "Output nobody reads"). Node resets the SIGHUP that `nohup` ignores, so
 * the bin must ignore it itself.
 *
 * `exitCleanlyFromDeadTerminal`: as it exits, Node restores the terminal settings it found on
 * stdin/stdout/stderr; on a terminal that hung up that fails and Node aborts (SIGABRT, exit 134)
 * instead of exiting with the program's code. This happens whether or not the program got SIGHUP
 * (only the session leader does). So at exit, the standard descriptors whose terminal is gone are
 * put on /dev/null: Node restores only descriptors that still hold the file they held at start.
 */
import { closeSync, openSync } from 'node:fs';
import { isatty } from 'node:tty';

/** Ignore SIGHUP from now on; returns the undo. */
export function carryOnAfterHangup(): () => void {
  const ignore = () => {};
  process.on('SIGHUP', ignore);
  return () => process.off('SIGHUP', ignore);
}

/** At exit, move the standard descriptors that were on a terminal now hung up to /dev/null. */
export function exitCleanlyFromDeadTerminal(): void {
  const onTerminal = [0, 1, 2].filter((fd) => isatty(fd));
  if (onTerminal.length === 0) return;
  process.once('exit', () => {
    // A hung-up terminal answers nothing, so isatty() has turned false.
    for (const fd of onTerminal) if (!isatty(fd)) moveToDevNull(fd);
  });
}

/**
 * Close `fd` and open /dev/null, which takes the lowest free descriptor: `fd`. Should another open
 * take it first, that file now holds `fd` and Node leaves it alone at exit too.
 */
function moveToDevNull(fd: number): void {
  try {
    closeSync(fd);
    const got = openSync('/dev/null', fd === 0 ? 'r' : 'w');
    if (got !== fd) closeSync(got);
  } catch {
    // Nothing left to restore.
  }
}
