import { closeSync, existsSync, renameSync, statSync, unlinkSync, writeSync } from 'node:fs';
import { dirname } from 'node:path';
import { makePrivateDir, openPrivateFile } from '../../shared/private-files.js';

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
}

/**
 * Opens a main log file (or a no-op log when path is null). Lines are appended synchronously, those
 * of one event-loop turn in one write at its end, and at once on close().
 */
export function openMainLog(path: string | null, opts: MainLogOptions): MainLog {
  let fd: number | undefined;
  let size = 0;
  if (path) {
    makePrivateDir(dirname(path), { tighten: true });
    fd = openPrivateFile(path, 'a');
    size = statSync(path).size;
  }
  const rotate = () => {
    if (!path || fd === undefined) return;
    closeSync(fd);
    if (opts.backups > 0) {
      const oldest = `${path}.${opts.backups}`;
      if (existsSync(oldest)) unlinkSync(oldest);
      for (let i = opts.backups - 1; i >= 1; i--) if (existsSync(`${path}.${i}`)) renameSync(`${path}.${i}`, `${path}.${i + 1}`);
      renameSync(path, `${path}.1`);
    } else {
      unlinkSync(path);
    }
    fd = openPrivateFile(path, 'a');
    size = 0;
  };
  // Lines of one event-loop turn go out in one write at its end (two per task file otherwise).
  let pending = '';
  let flushQueued = false;
  const flush = () => {
    flushQueued = false;
    if (pending && fd !== undefined) writeSync(fd, pending);
    pending = '';
  };
  const log = (level: LogLevel, message: string) => {
    if (fd === undefined || RANK[level] < RANK[opts.level]) return;
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
      if (fd !== undefined) {
        flush();
        closeSync(fd);
      }
      fd = undefined;
    },
  };
}

/** `2026-11-28 01:41:33,898` in local time (Python logging's default shape). */
export function logTime(ms: number): string {
  const d = new Date(ms);
  const p = (n: number, w = 2) => String(n).padStart(w, '0');
  return `${d.getFullYear()}-${p(d.getMonth() + 1)}-${p(d.getDate())} ${p(d.getHours())}:${p(d.getMinutes())}:${p(d.getSeconds())},${p(d.getMilliseconds(), 3)}`;
}
