import { EventEmitter } from 'node:events';
import type { ChildOutput } from './launcher-child.js';

const STREAM_HWM = 64 * 1024;

/**
 * An output stream whose bytes its owner feeds in: a launched child's stdout or stderr relayed by
 * the launcher, or a task's output arriving from an agent; handed on as 'data' (a ChildOutput).
 * Lighter than a Readable (two of which per command were a visible part of a short task's cost):
 * no internal buffer while someone reads; when paused, chunks queue, and past STREAM_HWM the owner
 * is asked to stop its source ('P': the launcher stops reading the pipe, so the program blocks
 * instead of our memory growing); resuming drains the queue and lets the source go on ('R'); 'C'
 * says the reader destroyed it before the end. Like a Readable, it holds its data until the first
 * 'data' listener arrives (frames can come before the runner has attached its capture).
 */
export class FedOutput extends EventEmitter implements ChildOutput {
  destroyed = false;
  private paused = true;
  private userPaused = false;
  private queue: Buffer[] = [];
  private queued = 0;
  private remotePaused = false;
  private ended = false;
  private closed = false;

  constructor(private readonly control: (op: 'P' | 'R' | 'C') => void) {
    super();
    const onListener = (event: string | symbol): void => {
      if (event !== 'data') return;
      this.off('newListener', onListener);
      // After the listener is in place (newListener runs before), unless someone paused first.
      process.nextTick(() => {
        if (!this.userPaused) this.resume();
      });
    };
    this.on('newListener', onListener);
  }

  /** Bytes from the launcher. */
  feed(data: Buffer): void {
    if (this.destroyed || this.ended) return;
    if (!this.paused && this.queued === 0) {
      this.emit('data', data);
      return;
    }
    this.queue.push(data);
    this.queued += data.length;
    if (this.queued >= STREAM_HWM && !this.remotePaused) {
      this.remotePaused = true;
      this.control('P');
    }
  }

  /** End of the stream (EOF from the launcher, or the launcher is gone). */
  end(): void {
    if (this.destroyed || this.ended) return;
    this.ended = true;
    if (!this.paused && this.queued === 0) this.close();
  }

  pause(): this {
    this.paused = true;
    this.userPaused = true;
    return this;
  }

  resume(): this {
    this.userPaused = false;
    if (!this.paused) return this;
    this.paused = false;
    while (!this.paused && !this.destroyed && this.queue.length > 0) {
      const chunk = this.queue.shift()!;
      this.queued -= chunk.length;
      this.emit('data', chunk);
    }
    if (this.paused || this.destroyed) return this;
    if (this.remotePaused) {
      this.remotePaused = false;
      this.control('R');
    }
    if (this.ended) this.close();
    return this;
  }

  isPaused(): boolean {
    return this.paused;
  }

  /** Stop reading: the launcher closes its end of the pipe (unless it already saw EOF). */
  destroy(): this {
    if (this.destroyed) return this;
    this.destroyed = true;
    if (!this.ended) this.control('C');
    this.queue = [];
    this.queued = 0;
    this.close();
    return this;
  }

  private close(): void {
    if (this.closed) return;
    this.closed = true;
    process.nextTick(() => this.emit('close'));
  }
}
