/**
 * `--instance-check`: one live run per (task file, expanded globals) on this machine (PEER-TASKER §16).
 *
 * The lock is a file `~/TASKER/locks/workflow_<hash16>.lock` (dir 0700, file 0600) holding JSON
 * about its holder. Races are settled by atomic filesystem operations, never by read-then-write:
 * - acquire: the content is written to a private temp file and hard-linked to the lock path;
 *   link(2) fails with EEXIST if the lock exists, so exactly one contender wins, and a reader never
 *   sees a half-written lock.
 * - stale takeover (holder dead): a contender first claims the right to succeed that exact content
 *   by creating `<lock>.takeover-<sha(content)>` with O_EXCL, re-reads the lock, and only if it still
 *   holds the same stale content renames its own file over it (rename(2) replaces atomically, so
 *   the lock path never disappears and no plain acquirer can slip in). Losers back off and retry.
 * - release removes the file only when it still names our pid and nonce.
 */
import { createHash, randomBytes } from 'node:crypto';
import { chmodSync, closeSync, linkSync, mkdirSync, openSync, readFileSync, renameSync, rmSync, writeSync } from 'node:fs';
import { hostname as osHostname } from 'node:os';
import { join, resolve } from 'node:path';
import { isSecretName } from '../../shared/taskfile/keys.js';
import { maskValue } from '../../shared/taskfile/variables.js';
import { makeDirs } from '../../shared/make-dirs.js';

export interface LockHolder {
  pid: number;
  started_at: string;
  hostname: string;
  task_file: string;
}

interface LockContent extends LockHolder {
  workflow_hash: string;
  project: string | null;
  global_vars_snapshot: Record<string, string>;
  /** Tells our own lock apart from a later one of a recycled pid. */
  nonce: string;
}

export interface AcquireOptions {
  /** Task file path as given (stored absolute). */
  taskFile: string;
  /** Its content, exactly as read (the hash covers the bytes). */
  taskText: string | Buffer;
  /** Globals after environment expansion. */
  globals: ReadonlyMap<string, string>;
  /** The user's home directory; the lock lives in `<home>/TASKER/locks` whatever `-l` says. */
  home: string;
  project?: string;
  /** `--force-instance`: take the lock over even from a live holder. */
  force?: boolean;
}

export type AcquireResult =
  | { ok: true; path: string; release(): void; /** Set when a stale or (forced) live lock was taken over. */ warning?: string }
  | { ok: false; message: string; holder: LockHolder; path: string };

/** First 16 hex of sha256(sha256(file bytes) + ':' + JSON of the globals sorted by name). */
export function workflowHash(taskText: string | Buffer, globals: ReadonlyMap<string, string>): string {
  const fileHash = createHash('sha256').update(taskText).digest('hex');
  const sorted = Object.fromEntries([...globals].sort(([a], [b]) => (a < b ? -1 : a > b ? 1 : 0)));
  return createHash('sha256').update(`${fileHash}:${JSON.stringify(sorted)}`).digest('hex').slice(0, 16);
}

export function lockPath(home: string, hash: string): string {
  return join(home, 'TASKER', 'locks', `workflow_${hash}.lock`);
}

const MAX_ATTEMPTS = 20;

export async function acquireInstanceLock(opts: AcquireOptions): Promise<AcquireResult> {
  const hash = workflowHash(opts.taskText, opts.globals);
  const dir = join(opts.home, 'TASKER', 'locks');
  makeDirs(dir, 0o700);
  try {
    chmodSync(dir, 0o700);
  } catch {
    /* not ours: the lock file is still 0600 */
  }
  const path = lockPath(opts.home, hash);
  const mine: LockContent = {
    pid: process.pid,
    task_file: resolve(opts.taskFile),
    workflow_hash: hash,
    started_at: new Date().toISOString(),
    hostname: osHostname(),
    project: opts.project ?? null,
    global_vars_snapshot: Object.fromEntries([...opts.globals].map(([k, v]) => [k, isSecretName(k) ? maskValue(v) : v])),
    nonce: randomBytes(8).toString('hex'),
  };
  const text = JSON.stringify(mine, null, 2) + '\n';
  const release = (): void => {
    const current = readLock(path);
    if (current?.parsed && current.parsed.pid === mine.pid && current.parsed.nonce === mine.nonce) rmSync(path, { force: true });
  };

  for (let attempt = 0; attempt < MAX_ATTEMPTS; attempt++) {
    const tmp = writePrivate(dir, text);
    try {
      try {
        linkSync(tmp, path);
        return { ok: true, path, release };
      } catch (e) {
        if ((e as NodeJS.ErrnoException).code !== 'EEXIST') throw e;
      }
      const held = readLock(path);
      if (!held) continue; // released meanwhile: try again
      const holder = holderOf(held.parsed);
      if (opts.force) {
        renameSync(tmp, path);
        return { ok: true, path, release, warning: `--force-instance: took over the instance lock ${path} from PID ${holder.pid} (started ${holder.started_at} on ${holder.hostname}); that run may still be going` };
      }
      const stale = staleReason(held.parsed);
      if (!stale) {
        return {
          ok: false, path, holder,
          message: `Another instance of this workflow is already running: PID ${holder.pid} on ${holder.hostname}, started ${holder.started_at}, task file ${holder.task_file} (lock ${path}). Wait for it to finish, or use --force-instance to run anyway.`,
        };
      }
      if (takeOver(path, held.raw, tmp)) {
        return { ok: true, path, release, warning: `Removed a stale instance lock of PID ${holder.pid} (${stale})` };
      }
    } finally {
      rmSync(tmp, { force: true });
    }
    await new Promise((ok) => setTimeout(ok, 5 + Math.random() * 20));
  }
  const held = readLock(path);
  const holder = holderOf(held?.parsed);
  return { ok: false, path, holder, message: `Could not acquire the instance lock ${path} after ${MAX_ATTEMPTS} attempts (held by PID ${holder.pid}); use --force-instance to run anyway.` };
}

/** Replace `stale` (exact bytes) at `path` by `ours`, if nobody else is doing the same. */
function takeOver(path: string, stale: string, ours: string): boolean {
  const claim = `${path}.takeover-${createHash('sha256').update(stale).digest('hex').slice(0, 16)}`;
  try {
    closeSync(openSync(claim, 'wx', 0o600));
  } catch {
    return false; // another contender is succeeding this holder
  }
  try {
    if (readLock(path)?.raw !== stale) return false;
    renameSync(ours, path);
    return true;
  } finally {
    rmSync(claim, { force: true });
  }
}

function writePrivate(dir: string, text: string): string {
  const tmp = join(dir, `.lock-${process.pid}-${randomBytes(6).toString('hex')}.tmp`);
  const fd = openSync(tmp, 'wx', 0o600);
  try {
    writeSync(fd, text);
  } finally {
    closeSync(fd);
  }
  return tmp;
}

function readLock(path: string): { raw: string; parsed: Partial<LockContent> | undefined } | undefined {
  let raw: string;
  try {
    raw = readFileSync(path, 'utf8');
  } catch {
    return undefined;
  }
  try {
    const parsed = JSON.parse(raw) as unknown;
    return { raw, parsed: typeof parsed === 'object' && parsed !== null ? (parsed as Partial<LockContent>) : undefined };
  } catch {
    return { raw, parsed: undefined };
  }
}

function holderOf(c: Partial<LockContent> | undefined): LockHolder {
  return { pid: Number(c?.pid ?? 0), started_at: String(c?.started_at ?? 'unknown'), hostname: String(c?.hostname ?? 'unknown'), task_file: String(c?.task_file ?? 'unknown') };
}

/**
 * Why a lock's holder is gone, or undefined while it may be alive. A holder on another host (a
 * shared home) cannot be checked and counts as alive. On Linux a pid that now belongs to some
 * other program (or a zombie) counts as dead.
 */
export function staleReason(c: Partial<LockContent> | undefined): string | undefined {
  if (!c || !Number.isInteger(c.pid) || (c.pid ?? 0) <= 0) return 'the lock file is unreadable';
  if (c.hostname && c.hostname !== osHostname()) return undefined;
  const pid = c.pid!;
  try {
    process.kill(pid, 0);
  } catch (e) {
    if ((e as NodeJS.ErrnoException).code === 'ESRCH') return `process ${pid} no longer exists`;
  }
  try {
    const stat = readFileSync(`/proc/${pid}/stat`, 'utf8');
    if (/\) Z /.test(stat)) return `process ${pid} has exited`;
    const cmdline = readFileSync(`/proc/${pid}/cmdline`, 'utf8').replace(/\0/g, ' ');
    if (!/node|tasker|tsx/i.test(cmdline)) return `PID ${pid} now belongs to another program (${cmdline.trim().slice(0, 60) || 'no command line'})`;
  } catch {
    /* no /proc (not Linux) or not ours to read: trust kill(0) */
  }
  return undefined;
}
