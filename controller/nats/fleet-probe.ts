/** How many task files each job message carries (shared/nats/job-batch.ts): asked, or chosen from the pool's agents. */
import type { NatsConnection } from '@nats-io/transport-node';
import { MAX_BATCH, batchSize, parseFleetReply, subjects, type FleetReply } from '../../shared/nats/index.js';

/** How long the agents' answers are awaited: until none came for STALL_MS, at most MAX_WAIT_MS. */
const MAX_WAIT_MS = 250;
const STALL_MS = 10;
/** Fewer files than this never make batches (batchSize gives 1), so the pool is not asked. */
const MIN_FILES_FOR_BATCHES = 16;

/** The agents of `pool` that answer now (none when no agent runs, or on any error). */
export async function probeFleet(nc: NatsConnection, pool: string): Promise<FleetReply[]> {
  const agents = new Map<string, FleetReply>();
  try {
    const replies = await nc.requestMany(subjects.fleet(pool), undefined, { strategy: 'stall', stall: STALL_MS, maxWait: MAX_WAIT_MS });
    for await (const m of replies) {
      const r = parseFleetReply(m.data);
      if (r) agents.set(r.instance, r);
    }
  } catch {
    // no responders: no agent of the pool is connected
  }
  return [...agents.values()];
}

/**
 * Ask the pool's agents, when the batch size depends on them (no `--batch`, enough files): started
 * as soon as the controller is connected, so the wait overlaps the rest of its start.
 */
export function askFleet(nc: NatsConnection, pool: string, files: number, requested?: number): Promise<FleetReply[] | undefined> {
  if (requested !== undefined || files < MIN_FILES_FOR_BATCHES) return Promise.resolve(undefined);
  return probeFleet(nc, pool);
}

/**
 * Files per job message: `requested` (`parallelr --batch N`) when given, else automatic: batches
 * only when every agent of the pool that answered reads them, sized from their slots (batchSize).
 */
export function chooseBatch(files: number, agents: FleetReply[] | undefined, requested?: number): number {
  if (requested !== undefined) return Math.max(1, Math.min(MAX_BATCH, requested));
  if (!agents?.length || agents.some((a) => !a.batches)) return 1;
  return batchSize(files, agents.reduce((n, a) => n + a.max, 0));
}
