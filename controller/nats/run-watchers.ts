/**
 * The controller's side of `parallelr --watch RUN_ID` (shared/nats/watch.ts): answers "is the run
 * running?" and, only while someone watches, publishes the run's progress on core NATS (at most a
 * few times a second, and once more when the run ends, with its exit code).
 */
import type { NatsConnection, Subscription } from '@nats-io/transport-node';
import { encodeWatch, WATCH_EXPIRES_MS, watchSubjects, type RunStatus } from '../../shared/nats/index.js';
import type { TaskRecord } from '../parallelr/index.js';

const PUBLISH_EVERY_MS = 250;

export interface RunWatchers {
  started(seq: number): void;
  finished(seq: number, record: TaskRecord): void;
  stopping(reason: string): void;
  /** Publishes the run's end (exit code) to anyone watching; call before the connection drains. */
  end(exitCode: number): void;
}

/** Serves the run's status to watchers; nothing is published while nobody watches. */
export function serveRunWatchers(nc: NatsConnection, runId: string, total: number, resultsFile: string): RunWatchers {
  const status: RunStatus = { type: 'status', run_id: runId, state: 'running', total, done: 0, ok: 0, failed: 0, running: 0, results_file: resultsFile };
  const running = new Set<number>();
  let watchedUntil = 0;
  let last = 0;
  let timer: NodeJS.Timeout | undefined;
  const publish = () => {
    timer = undefined;
    last = Date.now();
    status.running = running.size;
    safely(() => nc.publish(watchSubjects.status(runId), encodeWatch(status)));
  };
  // Throttled: a change publishes at once, or when PUBLISH_EVERY_MS has passed since the last.
  const changed = () => {
    if (Date.now() > watchedUntil || timer) return;
    const wait = last + PUBLISH_EVERY_MS - Date.now();
    if (wait <= 0) publish();
    else timer = setTimeout(publish, wait);
  };
  const subs: Subscription[] = [
    nc.subscribe(watchSubjects.watching(runId), {
      callback: () => {
        watchedUntil = Date.now() + WATCH_EXPIRES_MS;
        changed();
      },
    }),
    nc.subscribe(watchSubjects.runInfo(runId), {
      callback: (err, m) => {
        if (err) return;
        status.running = running.size;
        safely(() => m.respond(encodeWatch(status)));
      },
    }),
  ];
  return {
    started(seq) {
      running.add(seq);
      changed();
    },
    finished(seq, record) {
      running.delete(seq);
      status.done++;
      if (record.status === 'SUCCESS') status.ok++;
      else if (record.status !== 'CANCELLED') status.failed++;
      changed();
    },
    stopping(reason) {
      status.state = 'stopping';
      status.stop_reason = reason;
      changed();
    },
    end(exitCode) {
      clearTimeout(timer);
      for (const s of subs) safely(() => s.unsubscribe());
      status.state = 'ended';
      status.exit_code = exitCode;
      // Always, even unwatched a moment ago: a watcher that just started waits for this.
      publish();
    },
  };
}

function safely(fn: () => unknown): void {
  try {
    fn();
  } catch {
    // a closed connection: watching is best effort
  }
}
