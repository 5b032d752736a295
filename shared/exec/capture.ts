import type { ProcessResult } from './types.js';
import { createWriteStream, type WriteStream } from 'node:fs';
import { randomBytes } from 'node:crypto';
import { join } from 'node:path';
import { tmpdir } from 'node:os';
import type { ChildOutput } from './launcher-child.js';

/** Bytes of each stream kept in memory by default; one more spills the whole stream to a file (SPEC §2). */
export const DEFAULT_CAPTURE_LIMIT = 1024 * 1024;
/** Bytes of a spilled stream kept as its text (`@N_stdout@`) by default. */
export const DEFAULT_PREVIEW_LIMIT = 100 * 1024;

export interface CaptureOptions {
  /** 'stdout' or 'stderr'; part of the spill file name. */
  kind: 'stdout' | 'stderr';
  /** Bytes kept in memory; one more byte spills the whole stream to a file. */
  captureLimit: number;
  /** Bytes of a spilled stream kept as the in-memory preview. */
  previewLimit: number;
  /** Only count bytes (the live consumer keeps what it needs). */
  discard?: boolean;
  /** Default: the system temporary directory (looked up only when a stream spills). */
  spillDir?: string;
  /** Used in the spill file name `tasker_<kind>_<pid>_<random>`. */
  pid: number;
  /**
   * Live output. When it returns a promise (e.g. a gRPC stream that is full), reading stops until
   * it settles, so a slow consumer holds the child back instead of growing our memory.
   */
  onChunk?: (chunk: Buffer) => void | Promise<unknown>;
}

export interface CaptureResult {
  text: string;
  bytes: number;
  file?: string;
  truncated: boolean;
  /** A write error on the spill file (the stream was still drained). */
  spillError?: string;
}

/**
 * Copy the captured streams into a ProcessResult (text, byte counts, spill files, truncation). A
 * spill file that could not be written whole is said at the end of stderr: conditions read the
 * file, so a short one must not pass unnoticed (locally, from an agent or over ssh alike).
 */
export function applyCaptures(r: ProcessResult, o: CaptureResult, e: CaptureResult): void {
  r.stdout = o.text;
  r.stderr = e.text;
  r.stdoutBytes = o.bytes;
  r.stderrBytes = e.bytes;
  if (o.file) r.stdoutFile = o.file;
  if (e.file) r.stderrFile = e.file;
  r.truncated = o.truncated || e.truncated;
  const spillErrors = [o.spillError, e.spillError].filter(Boolean);
  if (spillErrors.length) r.stderr += `\n${spillErrors.join('\n')}`;
}

/** Index ≤ limit where `buf` can be cut without splitting a UTF-8 sequence. */
export function utf8CutPoint(buf: Buffer, limit: number): number {
  if (limit >= buf.length) return buf.length;
  let end = Math.max(0, limit);
  // Continuation bytes are 10xxxxxx: back up to the lead byte of the character we would split.
  while (end > 0 && (buf[end]! & 0xc0) === 0x80) end--;
  return end;
}

/**
 * Bounded capture of one child stream. Keeps up to `captureLimit` bytes in memory; past that it
 * writes everything so far plus the rest of the stream to a spill file, pausing the source while
 * the file is behind (backpressure), so memory stays bounded whatever the child prints.
 */
export class StreamCapture {
  private chunks: Buffer[] = [];
  private bytes = 0;
  private preview: Buffer | undefined;
  private spill: WriteStream | undefined;
  private spillPath: string | undefined;
  private spillError: string | undefined;
  private ended = false;
  private lastDataAt = 0;
  /** Why the source is paused: the spill file and/or the live consumer; resumed when both clear. */
  private holds = 0;
  private releaseSpillHold: (() => void) | undefined;
  readonly done: Promise<void>;
  private resolveDone!: () => void;

  constructor(
    private readonly source: ChildOutput,
    private readonly opts: CaptureOptions,
  ) {
    this.done = new Promise((resolve) => (this.resolveDone = resolve));
    source.on('data', (chunk: Buffer) => this.onData(chunk));
    // 'close' follows 'end', and also comes alone when the stream is destroyed early.
    source.once('close', () => this.finishSource());
    source.on('error', () => this.finishSource());
  }

  get finished(): boolean {
    return this.ended;
  }

  /** Append bytes after the stream ended (e.g. the timeout note); not passed to onChunk. */
  append(extra: Buffer): void {
    this.store(extra);
  }

  /** Stop reading even if a grandchild still holds the pipe open. */
  destroySource(): void {
    if (!this.source.destroyed) this.source.destroy();
  }

  /** True when data arrived within the last `ms`, or the source is paused for the spill file. */
  busyWithin(ms: number): boolean {
    if (this.ended) return false;
    return this.source.isPaused() || performance.now() - this.lastDataAt < ms;
  }

  private onData(chunk: Buffer): void {
    this.lastDataAt = performance.now();
    try {
      const pending = this.opts.onChunk?.(chunk);
      if (pending instanceof Promise) this.hold(pending);
    } catch {
      // A failing listener must not crash the run or lose the capture; the caller owns its errors.
    }
    this.store(chunk);
  }

  /** Pause the source until `until` settles (other holds may keep it paused longer). */
  private hold(until: Promise<unknown>): void {
    if (this.ended || this.source.destroyed) return;
    this.holds++;
    this.source.pause();
    const release = () => {
      this.holds--;
      if (this.holds === 0 && !this.source.destroyed) this.source.resume();
    };
    until.then(release, release);
  }

  private store(chunk: Buffer): void {
    this.bytes += chunk.length;
    if (this.opts.discard) return;
    if (!this.spill) {
      this.chunks.push(chunk);
      if (this.bytes <= this.opts.captureLimit) return;
      this.startSpill();
      return;
    }
    this.writeSpill(chunk);
  }

  private startSpill(): void {
    const all = Buffer.concat(this.chunks);
    this.chunks = [];
    const cut = utf8CutPoint(all, this.opts.previewLimit);
    this.preview = Buffer.from(all.subarray(0, cut));
    this.spillPath = join(
      this.opts.spillDir ?? tmpdir(),
      `tasker_${this.opts.kind}_${this.opts.pid}_${randomBytes(6).toString('hex')}`,
    );
    this.spill = createWriteStream(this.spillPath, { flags: 'wx', mode: 0o600 });
    this.spill.on('error', (err) => {
      this.spillError ??= `cannot write ${this.spillPath}: ${err.message}`;
      // Keep draining the child so it never blocks on a full pipe.
      this.releaseSpillHold?.();
    });
    this.writeSpill(all);
  }

  private writeSpill(chunk: Buffer): void {
    const spill = this.spill!;
    if (this.spillError || spill.destroyed) return;
    if (spill.write(chunk) || this.releaseSpillHold) return;
    this.hold(
      new Promise<void>((resolve) => {
        const release = () => {
          spill.off('drain', release);
          this.releaseSpillHold = undefined;
          resolve();
        };
        this.releaseSpillHold = release;
        spill.once('drain', release);
      }),
    );
  }

  private finishSource(): void {
    if (this.ended) return;
    this.ended = true;
    this.resolveDone();
  }

  /** Flush the spill file (if any) and return what was captured. */
  async result(): Promise<CaptureResult> {
    if (!this.spill) {
      const text = Buffer.concat(this.chunks).toString('utf8');
      return { text, bytes: this.bytes, truncated: false };
    }
    const spill = this.spill;
    if (!spill.destroyed && !spill.writableFinished) {
      await new Promise<void>((resolve) => {
        spill.once('close', resolve);
        spill.once('error', () => resolve());
        spill.end();
      });
    }
    const out: CaptureResult = {
      text: this.preview!.toString('utf8'),
      bytes: this.bytes,
      file: this.spillPath!,
      truncated: true,
    };
    if (this.spillError) out.spillError = this.spillError;
    return out;
  }
}
