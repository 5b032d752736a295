/**
 * JetStream set-up (the manager, the streams, the pool's consumer) that waits out a short outage.
 *
 * A controller or an agent starting while a cluster member restarts or the cluster elects a leader
 * (a rolling upgrade, a member lost) gets no answer, then "JetStream system temporarily unavailable",
 * for a few seconds (docs/nats.md, "Running a cluster"). A run already going waits such an outage
 * out; one starting waits too, for at most {@link SETUP_PATIENCE_MS}, saying so once, and a stop
 * (Ctrl-C) ends the wait at once. A stream that cannot be placed (a new or scaled stream with more
 * replicas than members up: one stopped for an upgrade) is waited for the same way, said once too.
 * Anything else (no JetStream at all, refused credentials or permissions, replicas on a single
 * server) fails at once.
 */
import { setTimeout as delay } from 'node:timers/promises';
import type { NatsConnection } from '@nats-io/transport-node';
import type { JetStreamManager } from '@nats-io/jetstream';
import { SetupError } from '../errors/index.js';
import { whenAborted } from '../when-aborted.js';
import { jetStreamManagerOf } from './connection.js';
import { placementFailure } from './streams.js';

/** How long a starting controller or agent waits for JetStream to answer. */
export const SETUP_PATIENCE_MS = 60_000;
const RETRY_MS = 1000;

export interface SetupPatience {
  /** Said once, when JetStream first fails to answer. */
  note?: (text: string) => void;
  /** Ends the waiting at once: SetupError `stopped while waiting for NATS JetStream at …`. */
  signal?: AbortSignal;
  patienceMs?: number;
}

/** `setup(jsm)`, tried again through a transient outage for up to the patience; then its last error, saying how long it waited. */
export async function setUpJetStream<T>(nc: NatsConnection, where: string, setup: (jsm: JetStreamManager) => Promise<T>, o: SetupPatience = {}): Promise<T> {
  const patienceMs = o.patienceMs ?? SETUP_PATIENCE_MS;
  const since = Date.now();
  const noted = new Set<'answer' | 'placement'>(); // each kind of outage is said once
  const stopped = (outage?: string) => new SetupError(`stopped while waiting for NATS JetStream at ${where}${outage ? ` (${outage})` : ''}`);
  const outageOf = (e: unknown) => jetStreamOutage(e) ?? placementFailure(e);
  return throughOutage(async () => setup(await jetStreamManagerOf(nc, where)), outageOf, o.signal, stopped, (outage, e) => {
    const elapsed = Date.now() - since;
    const waited = Math.round(elapsed / 1000);
    const placing = placementFailure(e) !== undefined;
    if (elapsed >= patienceMs) {
      // A stream's placement error names the stream, its replicas and the fix (streams.ts).
      const placement = e instanceof SetupError ? e.message : `JetStream at ${where} cannot place replicas: ${outage}`;
      throw placing
        ? new SetupError(`${placement} (tried for ${waited} s)`, { cause: e })
        : new SetupError(`JetStream at ${where} did not answer for ${waited} s (${outage}): no quorum (fewer than a majority of the cluster's members up) or no server reachable`, { cause: e });
    }
    const kind = placing ? 'placement' : 'answer';
    if (noted.has(kind)) return;
    noted.add(kind);
    o.note?.(placing
      ? `NATS JetStream at ${where} cannot place the streams' replicas yet (${outage}): trying again for up to ${patienceMs / 1000} s (a member stopped for a restart or an upgrade is back within seconds)`
      : `NATS JetStream at ${where} does not answer yet (${outage}): trying again for up to ${patienceMs / 1000} s (a cluster member restarting or electing a leader answers within seconds)`);
  });
}

/**
 * `ask()`, tried again every second for as long as JetStream does not answer, as a run under way
 * waits an outage out (its watch says so); undefined when `signal` aborts first. Other errors are thrown.
 */
export async function askThroughOutage<T>(ask: () => Promise<T>, signal: AbortSignal): Promise<T | undefined> {
  return throughOutage(ask, jetStreamOutage, signal, () => new Error('stopped'), () => undefined).catch((e: unknown) => {
    if (signal.aborted) return undefined;
    throw e;
  });
}

/**
 * `ask()` until it answers, tried again every second while `outageOf` names its error an outage
 * (`onOutage` is told each time, and throws to give up); `stopped(outage)` is thrown as soon as
 * `signal` aborts, any other error at once.
 */
async function throughOutage<T>(
  ask: () => Promise<T>,
  outageOf: (e: unknown) => string | undefined,
  signal: AbortSignal | undefined,
  stopped: (outage?: string) => Error,
  onOutage: (outage: string, e: unknown) => void,
): Promise<T> {
  let outage: string | undefined;
  for (;;) {
    if (signal?.aborted) throw stopped(outage);
    try {
      return await untilStopped(ask(), signal, () => stopped(outage));
    } catch (e) {
      const now = outageOf(e);
      if (!now || signal?.aborted) throw e;
      outage = now;
      onOutage(outage, e);
      await delay(RETRY_MS, undefined, { signal }).catch(() => undefined);
    }
  }
}

/** `p`, or `stopped()` thrown as soon as `signal` aborts (a JetStream call may wait 5 s for its answer). */
async function untilStopped<T>(p: Promise<T>, signal: AbortSignal | undefined, stopped: () => Error): Promise<T> {
  let unlisten = (): void => undefined;
  try {
    return await Promise.race([p, new Promise<never>((_, reject) => (unlisten = whenAborted(signal, () => reject(stopped()))))]);
  } finally {
    unlisten();
    p.catch(() => undefined);
  }
}

/** What makes `e` a transient outage (`no answer`, `JetStream system temporarily unavailable`), or undefined. */
export function jetStreamOutage(e: unknown): string | undefined {
  for (let err = e as (Error & { status?: unknown; cause?: unknown }) | undefined; err; err = err.cause as typeof err) {
    if (err.name === 'TimeoutError') return 'no answer';
    if (err.name === 'JetStreamApiError' && err.status === 503) return err.message;
  }
  return undefined;
}
