/**
 * Job workspaces: each slot of a worker keeps one directory, `<workdir>/job-slot<N>-p<pid>-XXXXXX`
 * (mkdtemp), and reuses it from job to job. A job's shipped task file is written there and
 * unlinked when the job ends; a job that left anything else behind (its own files, spilled output)
 * gets the directory removed in the background and the next job a fresh one, so no job sees
 * another's files. The workspaces of an agent killed with SIGKILL are removed by the next agent
 * that starts on the same workdir (the pid in the name is gone).
 *
 * The workdir (docs/nats.md, "Workspaces"): `--workdir` / `agent.workdir`, else one per user in the
 * temporary directory (`tasker-nats-<uid>`), never shared between users. It is checked at start
 * (prepareWorkdir), and made again when something removed it while the agent runs (a /tmp cleaner).
 */
import { lstatSync, mkdtempSync, readdirSync, rmdirSync, unlinkSync, writeFileSync } from 'node:fs';
import { readdir, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { processExists } from '../../shared/exec/index.js';
import { makePrivateDir } from '../../shared/private-files.js';
import { SetupError } from '../../shared/errors/index.js';

/** The default workdir: this user's own in the temporary directory. */
export function defaultWorkdir(): string {
  return join(tmpdir(), `tasker-nats-${process.getuid?.() ?? 'user'}`);
}

/**
 * Make `dir` (0700) and check it can hold job workspaces: a directory of this user's own (not a
 * symbolic link, not another user's, closed to others) where one can be made. Throws SetupError
 * saying what is wrong and how to choose another; an agent must not start and then fail every job.
 */
export function prepareWorkdir(dir: string): void {
  const refuse = (why: string): never => {
    throw new SetupError(`cannot keep job workspaces in ${dir}: ${why}; choose another with --workdir DIR (or agent.workdir in --config)`);
  };
  try {
    makePrivateDir(dir, { tighten: true });
  } catch (e) {
    refuse((e as Error).message);
  }
  const st = lstatSync(dir);
  if (st.isSymbolicLink()) refuse('it is a symbolic link (another user could point it anywhere)');
  if (!st.isDirectory()) refuse('it is not a directory');
  const uid = process.getuid?.();
  if (uid !== undefined && st.uid !== uid) refuse(`it belongs to uid ${st.uid}, not to this agent's user (uid ${uid}): another user made it`);
  if ((st.mode & 0o077) !== 0) refuse(`it is open to other users (mode ${(st.mode & 0o777).toString(8)})`);
  try {
    rmdirSync(mkdtempSync(join(dir, `job-probe-p${process.pid}-`)));
  } catch (e) {
    refuse(`a workspace cannot be made there (${(e as Error).message})`);
  }
}

const WORKSPACE = /^job-.+-p(\d+)-[^-]+$/;

/** mkdtemp prefix of a job's own directory (a tasker job's records): removed with the agent's other workspaces when its agent is gone. */
export function workspacePrefix(workdir: string, runId: string, seq: number): string {
  return join(workdir, `job-${runId}-${seq}-p${process.pid}-`);
}

/**
 * One slot's reusable workspace. Its per-job file operations are synchronous on purpose: each is
 * one short system call on a local directory, where the promise versions cost a thread-pool round
 * trip apiece and were a large part of an agent's per-job CPU (docs/nats.md, "Throughput").
 */
export class SlotWorkspace {
  private dir?: string;

  constructor(private readonly workdir: string, private readonly slot: number) {}

  /**
   * The directory, made on first use (and after a job left files behind). The workdir itself is
   * made again when it is gone (removed by a cleaner of old files in /tmp). Throws when no
   * workspace can be made: the job is handed back unclaimed (job-worker.ts).
   */
  path(): string {
    if (this.dir) return this.dir;
    const prefix = join(this.workdir, `job-slot${this.slot}-p${process.pid}-`);
    try {
      this.dir = mkdtempSync(prefix);
    } catch (e) {
      if ((e as NodeJS.ErrnoException).code !== 'ENOENT') throw e;
      makePrivateDir(this.workdir, { tighten: true });
      this.dir = mkdtempSync(prefix);
    }
    return this.dir;
  }

  /** Write a job's task file (mode 0700) into the workspace; returns its path. */
  writeTaskFile(fileName: string, content: Uint8Array): string {
    const path = join(this.path(), fileName);
    writeFileSync(path, content, { mode: 0o700 });
    return path;
  }

  /**
   * After a job: remove its task file; when the job left anything else, give the directory up
   * (removed in the background) so the next job starts in an empty one.
   */
  clean(fileName: string | undefined): void {
    const dir = this.dir;
    if (!dir) return;
    try {
      const left = readdirSync(dir);
      if (left.length === 0) return;
      if (left.length === 1 && left[0] === fileName) {
        unlinkSync(join(dir, fileName));
        return;
      }
    } catch {
      // unreadable or gone: start afresh
    }
    this.dir = undefined;
    void rm(dir, { recursive: true, force: true }).catch(() => undefined);
  }

  /** Remove the workspace (worker stop). */
  async remove(): Promise<void> {
    const dir = this.dir;
    this.dir = undefined;
    if (dir) await rm(dir, { recursive: true, force: true }).catch(() => undefined);
  }
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
    if (!Number.isSafeInteger(pid) || pid === process.pid || processExists(pid)) continue;
    await rm(join(workdir, name), { recursive: true, force: true }).then(() => removed.push(name), () => undefined);
  }
  return removed;
}
