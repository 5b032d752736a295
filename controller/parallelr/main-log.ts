import { existsSync, renameSync, statSync, unlinkSync } from 'node:fs';
import { dirname } from 'node:path';
import { firstLineOf } from '../../shared/text/index.js';
import { makePrivateDir } from '../../shared/private-files.js';
import { openRecordFile, type RecordFile } from '../../shared/record-file.js';

export type LogLevel = 'DEBUG' | 'INFO' | 'WARNING' | 'ERROR' | 'CRITICAL';
const RANK: Record<LogLevel, number> = { DEBUG: 10, INFO: 20, WARNING: 30, ERROR: 40, CRITICAL: 50 };

/** The run's main log: `YYYY-MM-DD HH:MM:SS,mmm - P<pid> - LEVEL - message`, size-rotated (`.1` … `.N`). */
export interface MainLog {
  readonly path: string | null;
  log(level: LogLevel, message: string): void;
  debug(message: string): void;
  info(message: string): void;
  warn(message: string): void;
  error(message: string): void;
  close(): void;
}

export interface MainLogOptions {
  level: LogLevel;
  pid: number;
  maxBytes: number;
  backups: number;
  /** The log can no longer be written (a full disk): told once; the run carries on without it (shared/record-file.ts). */
  onLost: (problem: string) => void;
}

/**
 * Opens a main log file (or a no-op log when path is null). Lines are appended synchronously, those
 * of one event-loop turn in one write at its end, and at once on close().
 */
export function openMainLog(path: string | null, opts: MainLogOptions): MainLog {
  let file: RecordFile | undefined;
  let size = 0;
  if (path) {
    makePrivateDir(dirname(path), { tighten: true });
    file = openRecordFile(path, opts.onLost);
    size = statSync(path).size;
  }
  const rotate = () => {
    if (!path || file === undefined) return;
    file.close();
    try {
      if (opts.backups > 0) {
        const oldest = `${path}.${opts.backups}`;
        if (existsSync(oldest)) unlinkSync(oldest);
        for (let i = opts.backups - 1; i >= 1; i--) if (existsSync(`${path}.${i}`)) renameSync(`${path}.${i}`, `${path}.${i + 1}`);
        renameSync(path, `${path}.1`);
      } else {
        unlinkSync(path);
      }
      file = openRecordFile(path, opts.onLost);
    } catch (e) {
      file = undefined;
      opts.onLost(`cannot rotate ${path} (${firstLineOf(e)}): the log ends here; the run carries on`);
    }
    size = 0;
  };
  // Lines of one event-loop turn go out in one write at its end (two per task file otherwise).
  let pending = '';
  let flushQueued = false;
  const flush = () => {
    flushQueued = false;
    if (pending) file?.write(pending);
    pending = '';
  };
  const log = (level: LogLevel, message: string) => {
    if (file === undefined || file.lost || RANK[level] < RANK[opts.level]) return;
    const line = `${logTime(Date.now())} - P${opts.pid} - ${level} - ${message}\n`;
    const bytes = Buffer.byteLength(line);
    if (size > 0 && size + bytes > opts.maxBytes) {
      flush(); // what belongs in the file being rotated out
      rotate();
    }
    pending += line;
    size += bytes;
    if (!flushQueued) {
      flushQueued = true;
      setImmediate(flush);
    }
  };
  return {
    path,
    log,
    debug: (m) => log('DEBUG', m),
    info: (m) => log('INFO', m),
    warn: (m) => log('WARNING', m),
    error: (m) => log('ERROR', m),
    close() {
      flush();
      file?.close();
      file = undefined;
    },
  };
}

/**
 * A warning of the run — a record file lost to a full disk, an input backup that failed —:
 * `parallelr: warning: …` on stderr, and in the main log while that can be written. `mainLog` is
 * read when a warning comes: the main log is itself one of the files that can be lost.
 */
export function runWarning(stderr: (text: string) => void, mainLog: () => MainLog): (message: string) => void {
  return (message) => {
    stderr(`parallelr: warning: ${message}\n`);
    mainLog().warn(message);
  };
}

/** `2026-11-28 01:41:33,898` in local time (Python logging's default shape). */
export function logTime(ms: number): string {
  const d = new Date(ms);
  const p = (n: number, w = 2) => String(n).padStart(w, '0');
  return `${d.getFullYear()}-${p(d.getMonth() + 1)}-${p(d.getDate())} ${p(d.getHours())}:${p(d.getMinutes())}:${p(d.getSeconds())},${p(d.getMilliseconds(), 3)}`;
}
