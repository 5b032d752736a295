/**
 * A run's cancel (core NATS, `tasker.cancel.<runId>`): every agent stops that run's jobs (SIGTERM to
 * each job's process group, SIGKILL after its kill grace) and records them CANCELLED. A cancel
 * that kills now (a second Ctrl-C, or `parallelr -k` again: the operator will not wait) ends the
 * grace of the run's jobs at once; an agent older than this header takes it as a plain cancel.
 */
import type { Msg, NatsConnection } from '@nats-io/transport-node';
import { subjects } from './subjects.js';

const KILL_NOW_HEADER = 'Tasker-Kill-Now';

/** Tell every agent to stop the run's jobs (`killNow`: without their kill grace). */
export async function publishCancel(nc: NatsConnection, runId: string, reason: string, killNow = false): Promise<void> {
  if (!killNow) return nc.publish(subjects.cancel(runId), reason);
  const { headers } = await import('@nats-io/transport-node');
  const h = headers();
  h.set(KILL_NOW_HEADER, 'true');
  nc.publish(subjects.cancel(runId), reason, { headers: h });
}

/** Whether a cancel message asks for its run's jobs to be killed at once. */
export function isKillNow(m: Msg): boolean {
  return m.headers?.get(KILL_NOW_HEADER) === 'true';
}
