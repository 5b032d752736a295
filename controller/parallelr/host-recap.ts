/**
 * parallelr's host recap across files (docs/parallelr.md "Host recap"). Task files run by the
 * in-process engine report their per-host counts (the same as each file's JSON `hosts`); a
 * distributed run over NATS only has one record per file, so there the recap is per agent.
 */
import { countHostOutcome, formatHostRecap, type HostTallies } from '../../shared/hosts/index.js';
import type { TaskRecord } from './types.js';

export interface HostRecap {
  tallies: HostTallies;
  /** Said under the heading: what the counts cover. */
  note?: string;
}

/** NATS runs: each file's record counts for the agent that ran it (CANCELLED after a start counts as skipped). */
export function tallyRecordsByAgent(records: readonly TaskRecord[]): HostTallies {
  const tallies: HostTallies = {};
  for (const r of records) {
    if (r.agent === null) continue;
    const outcome = r.status === 'SUCCESS' ? 'ok' : r.status === 'TIMEOUT' ? 'timed_out' : r.status === 'CANCELLED' ? 'skipped' : 'failed';
    countHostOutcome(tallies, r.agent, outcome, 'nats');
  }
  return tallies;
}

/** The recap section of the final report; none when fewer than two hosts were touched. */
export function formatRecapSection(recap: HostRecap | undefined): string[] {
  if (!recap || Object.keys(recap.tallies).length < 2) return [];
  return ['Host Recap:', ...(recap.note ? [`(${recap.note})`] : []), ...formatHostRecap(recap.tallies).map((l) => `- ${l}`), ''];
}
