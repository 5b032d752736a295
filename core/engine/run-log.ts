/**
 * Console and log-file lines of a run, in the peer's greppable shape:
 * `[28Nov26 03:20:38] Task 0: Executing [local]: echo hello` (INFO has no level word; WARN/ERROR/DEBUG do).
 *
 * Lines are collected during one turn of the event loop and written (synchronously, one write per
 * sink) at its end, by setImmediate, or at once by {@link RunLog.flush}/{@link RunLog.close}. A task's
 * "Exit code", "Completed" and the next task's "Executing" lines thus cost two writes instead of six,
 * and they are written while the next command starts rather than before: the engine hands the
 * launcher its request in the same synchronous stretch that logged them. Order is kept: output of
 * a command arrives in a later turn, after the flush. A kill can lose at most the lines of the turn
 * in progress. (winston's import would cost a large part of the cold-start budget, see
 * docs/performance.md; it is used by the long-running services, not by this per-run hot path.)
 */
import { openRecordFile, type RecordFile } from '../../shared/record-file.js';
import { maskSecrets } from '../../shared/taskfile/variables.js';
import { escapeControlChars } from '../../shared/text/index.js';

export type LogLevel = 'ERROR' | 'WARN' | 'INFO' | 'DEBUG';
const RANK: Record<LogLevel, number> = { ERROR: 0, WARN: 1, INFO: 2, DEBUG: 3 };
const MONTHS = ['Jan', 'Feb', 'Mar', 'Apr', 'May', 'Jun', 'Jul', 'Aug', 'Sep', 'Oct', 'Nov', 'Dec'];

export function logTimestamp(d = new Date()): string {
  const p = (n: number): string => String(n).padStart(2, '0');
  return `${p(d.getDate())}${MONTHS[d.getMonth()]}${p(d.getFullYear() % 100)} ${p(d.getHours())}:${p(d.getMinutes())}:${p(d.getSeconds())}`;
}

export interface RunLogOptions {
  console: { write(text: string): unknown };
  level: LogLevel;
  secrets?: string[];
  /**
   * Write console lines with their control characters (`--raw-output`). By default ESC, BEL, CR and
   * the other C0/C1 controls but newline and tab are shown escaped (`\x1b`), so a task's output
   * cannot drive the operator's terminal; the log file always keeps the bytes.
   */
  rawConsole?: boolean;
}

export class RunLog {
  private file: RecordFile | undefined;
  private pendingLog = '';
  private pendingConsole = '';
  private flushQueued = false;
  private readonly flushNow = (): void => this.flush();
  private stampSecond = -1;
  private stamp = '';
  readonly warnings: string[] = [];
  secrets: string[];
  filePath: string | undefined;

  constructor(private readonly opts: RunLogOptions) {
    this.secrets = opts.secrets ?? [];
  }

  /**
   * Start writing to a log file (append); failing to open it throws. Lines logged before this are
   * not in the file. Should a later write fail (a full disk), the run is told once with a warning
   * (on the console and in the JSON's warnings) and goes on without its log file.
   */
  openFile(path: string): void {
    this.file = openRecordFile(path, (problem) => this.warn(`log file: ${problem}`));
    this.filePath = path;
    this.file.write(this.pendingFile.map((line) => `[${logTimestamp()}] ${maskSecrets(line, this.secrets)}\n`).join(''));
    this.pendingFile = [];
  }

  info(message: string): void {
    this.line('INFO', message);
  }
  warn(message: string): void {
    this.warnings.push(maskSecrets(message, this.secrets));
    this.line('WARN', message);
  }
  /** A warning already shown elsewhere (compiler-style diagnostics): recorded and logged to the file only. */
  warnRecorded(message: string): void {
    this.warnings.push(maskSecrets(message, this.secrets));
    this.pendingFile.push(`WARN: ${message}`);
  }
  /** An error already shown elsewhere (a validation diagnostic): listed among the record's warnings, logged to the file only. */
  errorRecordedQuietly(message: string): void {
    this.warnings.push(maskSecrets(message, this.secrets));
    this.pendingFile.push(`ERROR: ${message}`);
  }
  /** Lines recorded before the log file existed; flushed when it opens. */
  private pendingFile: string[] = [];
  error(message: string): void {
    this.line('ERROR', message);
  }
  /** An error that the record also lists among its warnings (an interrupted run, SPEC §2a). */
  errorRecorded(message: string): void {
    this.warnings.push(maskSecrets(message, this.secrets));
    this.line('ERROR', message);
  }
  debug(message: string): void {
    this.line('DEBUG', message);
  }
  get debugEnabled(): boolean {
    return RANK[this.opts.level] >= RANK.DEBUG;
  }

  /** Text to the log file only (full task output streams). */
  fileOnly(text: string): void {
    if (!this.writingFile) return;
    this.flush();
    this.file!.write(maskSecrets(text, this.secrets));
  }

  private get writingFile(): boolean {
    return this.file !== undefined && !this.file.lost;
  }

  private line(level: LogLevel, message: string): void {
    const now = Date.now();
    const second = Math.floor(now / 1000);
    if (second !== this.stampSecond) {
      this.stampSecond = second;
      this.stamp = logTimestamp(new Date(now));
    }
    const text = `[${this.stamp}] ${level === 'INFO' ? '' : `${level}: `}${maskSecrets(message, this.secrets)}\n`;
    if (this.writingFile) this.pendingLog += text;
    if (RANK[level] <= RANK[this.opts.level]) this.pendingConsole += this.opts.rawConsole ? text : escapeControlChars(text);
    if (!this.flushQueued) {
      this.flushQueued = true;
      setImmediate(this.flushNow);
    }
  }

  /** Write the lines collected so far. */
  flush(): void {
    this.flushQueued = false;
    if (this.pendingLog) {
      const text = this.pendingLog;
      this.pendingLog = '';
      this.file?.write(text);
    }
    if (this.pendingConsole) {
      const text = this.pendingConsole;
      this.pendingConsole = '';
      this.opts.console.write(text);
    }
  }

  close(): void {
    this.flush();
    this.file?.close();
    this.file = undefined;
  }
}
