/**
 * Per-job workspaces: `<workdir>/job-<run>-<seq>-p<pid>-XXXXXX`, made by the agent process whose
 * pid is in the name and removed when the job ends. An agent killed with SIGKILL cannot remove
 * its own: the next agent that starts on the same workdir removes those whose process is gone.
 */
import { readdir, rm } from 'node:fs/promises';
import { join } from 'node:path';

const WORKSPACE = /^job-.+-p(\d+)-[^-]+$/;

/** The mkdtemp prefix of a job's workspace. */
export function workspacePrefix(workdir: string, runId: string, seq: number): string {
  return join(workdir, `job-${runId}-${seq}-p${process.pid}-`);
}

/** Remove the workspaces of agent processes that are gone; returns their names. */
export async function removeDeadWorkspaces(workdir: string): Promise<string[]> {
  let names: string[];
  try {
    names = await readdir(workdir);
  } catch {
    return [];
  }
  const removed: string[] = [];
  for (const name of names) {
    const pid = Number(WORKSPACE.exec(name)?.[1] ?? NaN);
    if (!Number.isSafeInteger(pid) || pid === process.pid || isRunning(pid)) continue;
    await rm(join(workdir, name), { recursive: true, force: true }).then(() => removed.push(name), () => undefined);
  }
  return removed;
}

/** Whether a process with this pid exists (one of another user counts). */
function isRunning(pid: number): boolean {
  try {
    process.kill(pid, 0);
    return true;
  } catch (e) {
    return (e as NodeJS.ErrnoException).code === 'EPERM';
  }
}
