import { mkdirSync, readdirSync, readFileSync, renameSync, rmdirSync, statSync, unlinkSync } from 'node:fs';
import { join } from 'node:path';
import { BusyError } from '../../shared/errors/index.js';
import { firstLineOf } from '../../shared/text/index.js';
import { makePrivateDir, writePrivateFile } from '../../shared/private-files.js';
import { makeDirs } from '../../shared/make-dirs.js';

/** One running parallelr manager, as `pids/<PID>.json`. Only its owner writes it (atomically, by rename). */
export interface WorkerEntry {
  pid: number;
  /** Kernel start time of the process (/proc/PID/stat field 22), so a reused PID is not mistaken for it. */
  proc_start: string | null;
  session_id: string;
  status: 'starting' | 'running' | 'stopping' | 'finished';
  daemon: boolean;
  start_time: string;
  cwd: string;
  command_template: string;
  total: number;
  done: number;
  failed: number;
  main_log: string | null;
  results: string | null;
  updated: string;
  /** A distributed run (`--nats`): its run id, the NATS servers and pool it was published to. */
  run_id?: string;
  nats?: string;
  pool?: string;
}

/**
 * `write()` puts `entry` in the registry as it is now. One that fails (a full disk) is said once
 * through `note`, and later writes are skipped: the run goes on, and `--list-workers` and `-k`
 * see it as of its last written state (or not at all).
 */
export function entryWriter(registry: WorkerRegistry, entry: WorkerEntry, note: (text: string) => void): () => void {
  let broken = false;
  return () => {
    if (broken) return;
    try {
      registry.write(entry);
    } catch (e) {
      broken = true;
      note(`cannot write the run's entry in ${registry.dir} (${firstLineOf(e)}): --list-workers and -k see it as of its last update, or not at all; the run carries on`);
    }
  };
}

/**
 * The PID registry: a directory of per-PID JSON files. Each file has one writer (its manager) and is
 * replaced atomically, so readers never see a torn entry and two managers never contend. Operations
 * that touch other managers' entries (stale cleanup, kill all) take a directory lock (mkdir is atomic).
 */
export class WorkerRegistry {
  constructor(readonly dir: string) {}

  /** Writes (creates or replaces) this manager's entry. */
  write(entry: WorkerEntry): void {
    makePrivateDir(this.dir, { tighten: true });
    const file = this.file(entry.pid);
    const tmp = `${file}.${process.pid}.tmp`;
    writePrivateFile(tmp, JSON.stringify({ ...entry, updated: new Date().toISOString() }, null, 1) + '\n');
    renameSync(tmp, file);
  }

  remove(pid: number): void {
    try {
      unlinkSync(this.file(pid));
    } catch {
      /* already gone */
    }
  }

  read(pid: number): WorkerEntry | undefined {
    try {
      return JSON.parse(readFileSync(this.file(pid), 'utf8')) as WorkerEntry;
    } catch {
      return undefined;
    }
  }

  /** Live entries, oldest first; entries of dead processes (or reused PIDs) are removed on the way. */
  list(): WorkerEntry[] {
    let names: string[];
    try {
      names = readdirSync(this.dir);
    } catch {
      return [];
    }
    const live: WorkerEntry[] = [];
    const stale: number[] = [];
    for (const name of names) {
      const m = /^(\d+)\.json$/.exec(name);
      if (!m) continue;
      const entry = this.read(Number(m[1]));
      if (!entry) continue;
      if (isSameProcessAlive(entry.pid, entry.proc_start)) live.push(entry);
      else stale.push(entry.pid);
    }
    if (stale.length) this.withLock(() => stale.forEach((pid) => this.remove(pid)));
    return live.sort((a, b) => a.start_time.localeCompare(b.start_time) || a.pid - b.pid);
  }

  /** Runs fn holding the registry lock; a lock older than 10 s is considered abandoned and broken. */
  withLock<T>(fn: () => T): T {
    makeDirs(this.dir);
    const lock = join(this.dir, '.lock');
    const deadline = Date.now() + 5000;
    for (;;) {
      try {
        mkdirSync(lock);
        break;
      } catch (err) {
        if ((err as NodeJS.ErrnoException).code !== 'EEXIST') throw err;
        try {
          if (Date.now() - statSync(lock).mtimeMs > 10_000) rmdirSync(lock);
        } catch {
          /* released meanwhile */
        }
        if (Date.now() > deadline) throw new BusyError(`registry lock ${lock} is held by another parallelr; try again`);
        Atomics.wait(new Int32Array(new SharedArrayBuffer(4)), 0, 0, 20);
      }
    }
    try {
      return fn();
    } finally {
      try {
        rmdirSync(lock);
      } catch {
        /* broken by someone else */
      }
    }
  }

  private file(pid: number): string {
    return join(this.dir, `${pid}.json`);
  }
}

/** The kernel start time of a process, or null where /proc is not available. */
export function processStartTime(pid: number): string | null {
  try {
    const stat = readFileSync(`/proc/${pid}/stat`, 'utf8');
    // Field 2 (comm) may contain spaces and parentheses: fields after the last ')' are safe to split.
    const fields = stat.slice(stat.lastIndexOf(')') + 2).split(' ');
    return fields[19] ?? null;
  } catch {
    return null;
  }
}

/** True when pid is alive (EPERM counts as alive) and, where known, still the same process. */
export function isSameProcessAlive(pid: number, procStart: string | null): boolean {
  if (!isAlive(pid)) return false;
  if (procStart === null) return true;
  const now = processStartTime(pid);
  return now === null || now === procStart;
}

/** kill(pid, 0) liveness; a zombie counts as dead. */
export function isAlive(pid: number): boolean {
  try {
    process.kill(pid, 0);
  } catch (err) {
    if ((err as NodeJS.ErrnoException).code !== 'EPERM') return false;
  }
  try {
    const stat = readFileSync(`/proc/${pid}/stat`, 'utf8');
    return stat.slice(stat.lastIndexOf(')') + 2, stat.lastIndexOf(')') + 3) !== 'Z';
  } catch {
    return true;
  }
}
