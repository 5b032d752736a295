/**
 * Server-Sent Events: every open page gets the state of each run in progress when it changes
 * (progress, failures, busy slots, ETA) and a notice when new runs appear under BASE.
 */
import type { IncomingMessage, ServerResponse } from 'node:http';
import { LiveProgress, type LiveState } from './live-progress.js';
import type { RunIndex } from './run-index.js';

/** Open live pages at most; one more gets 503 and retries. */
export const MAX_CLIENTS = 200;
/** Events queued for one page at most. */
const MAX_UNSENT_BYTES = 1 << 20;

export interface LiveFeedOptions {
  /** How often runs in progress are read. */
  tickMs?: number;
  /** How often all of BASE is rescanned for new runs. */
  rescanMs?: number;
  /** Extra state merged into a run's event (per-agent slots of distributed runs). */
  extra?: (state: LiveState) => LiveState;
}

export class LiveFeed {
  private readonly clients = new Set<ServerResponse>();
  private readonly trackers = new Map<string, LiveProgress>();
  private readonly sent = new Map<string, string>();
  private timer: NodeJS.Timeout | undefined;
  private lastRescan = 0;
  private runCount = -1;

  constructor(private readonly index: RunIndex, private readonly opts: LiveFeedOptions = {}) {}

  attach(req: IncomingMessage, res: ServerResponse): void {
    if (this.clients.size >= MAX_CLIENTS) {
      res.writeHead(503, { 'content-type': 'text/plain; charset=utf-8', 'retry-after': '5' });
      res.end(`tasker-ui: at most ${MAX_CLIENTS} live pages at once\n`);
      return;
    }
    res.writeHead(200, { 'content-type': 'text/event-stream', 'cache-control': 'no-store', connection: 'keep-alive', 'x-accel-buffering': 'no' });
    res.write('retry: 1000\n\n');
    this.clients.add(res);
    for (const state of this.currentStates()) res.write(event('run', state));
    req.on('close', () => {
      this.clients.delete(res);
      if (this.clients.size === 0) this.stop();
    });
    this.start();
  }

  /** The state of every run in progress (for the live page's first render too). */
  currentStates(): LiveState[] {
    return this.index.running().map((r) => this.stateOf(r.id)).filter((s): s is LiveState => s !== undefined);
  }

  stateOf(id: string): LiveState | undefined {
    const run = this.index.get(id);
    if (!run) return undefined;
    let t = this.trackers.get(id);
    if (!t) this.trackers.set(id, (t = new LiveProgress(run)));
    t.advance();
    const state = t.state(run);
    return this.opts.extra ? this.opts.extra(state) : state;
  }

  private start(): void {
    if (this.timer) return;
    this.timer = setInterval(() => this.tick(), this.opts.tickMs ?? 250);
    this.timer.unref();
  }

  stop(): void {
    clearInterval(this.timer);
    this.timer = undefined;
  }

  close(): void {
    this.stop();
    for (const c of this.clients) c.end();
    this.clients.clear();
  }

  private tick(): void {
    const now = Date.now();
    if (now - this.lastRescan >= (this.opts.rescanMs ?? 1000)) {
      this.lastRescan = now;
      this.index.refresh(now);
    } else {
      this.index.refreshRunning(now);
    }
    const count = this.index.all().length;
    if (this.runCount >= 0 && count !== this.runCount) this.broadcast(event('runs', { count, newest: this.index.all().slice(0, 20).map((r) => r.id) }));
    this.runCount = count;
    const ids = new Set([...this.index.running().map((r) => r.id), ...this.trackers.keys()]);
    for (const id of ids) {
      const state = this.stateOf(id);
      if (!state) {
        this.trackers.delete(id);
        continue;
      }
      const { durationSeconds: _d, etaSeconds: _e, ...stable } = state;
      const key = JSON.stringify(stable);
      if (this.sent.get(id) !== key) {
        this.sent.set(id, key);
        this.broadcast(event('run', state));
      }
      if (state.status !== 'running') {
        this.trackers.delete(id);
        this.sent.delete(id);
      }
    }
  }

  /** A page that does not read its events is dropped (its browser reconnects), so unsent events never pile up. */
  private broadcast(text: string): void {
    for (const c of this.clients) {
      if (c.writableLength > MAX_UNSENT_BYTES) {
        this.clients.delete(c);
        c.destroy();
        continue;
      }
      c.write(text);
    }
  }
}

function event(name: string, data: unknown): string {
  return `event: ${name}\ndata: ${JSON.stringify(data)}\n\n`;
}
