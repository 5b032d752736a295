/**
 * Send `signal` to the whole process group led by `pid` (the child was spawned detached, so its
 * pgid equals its pid). Never throws: a group that is already gone (ESRCH) or not ours (EPERM)
 * is ignored, because the caller only wants "nothing of this run is left".
 */
export function killProcessGroup(pid: number, signal: NodeJS.Signals): void {
  // pid 0/1/negative would address our own group or every process: refuse.
  if (!Number.isInteger(pid) || pid <= 1) return;
  try {
    process.kill(-pid, signal);
  } catch {
    // The group has no members left, or the leader was never made a group leader. Try the
    // process itself so a non-detached child still gets the signal.
    try {
      process.kill(pid, signal);
    } catch {
      /* already gone */
    }
  }
}
