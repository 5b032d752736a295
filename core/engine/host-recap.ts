/**
 * Where a task ran, as the console names it, and the per-host recap of a run (SPEC §2a "recap";
 * docs/task-files.md "Host recap"): every task result that ran a command on a host, or was skipped
 * there, counts once for that host.
 */
import { countHostOutcome, type HostTallies } from '../../shared/hosts/index.js';
import type { RanOn, RunOutcome, TaskResult } from './types.js';

export type { RanOn } from './types.js';

/** The host a task result counts for: its hostname, or `localhost` when it has none. */
export function hostOf(hostname: string): string {
  return hostname.trim() || 'localhost';
}

/** The place named on an Executing line: `web02`, `web02 via ssh`, `web02 via jump1`. */
export function describePlace(hostname: string, ranOn: RanOn): string {
  const host = hostOf(hostname);
  if (ranOn === 'local') return host;
  if (ranOn === 'ssh') return `${host} via ssh`;
  return `${host} via ${ranOn.slice('agent:'.length)}`;
}

/**
 * The recap of a run. Counted: each command result in `task_results` (loop iterations `N.k` each;
 * not the loop's summary entry `N`, not block aggregates, a retried sub-task by its last attempt)
 * and each skipped task; plus the hosts that failed the pre-run checks, as unreachable.
 */
export function tallyHosts(outcome: RunOutcome): HostTallies {
  const tallies: HostTallies = {};
  const loopParents = new Set(outcome.loopIterations.map((k) => k.slice(0, k.indexOf('.'))));
  for (const [key, r] of outcome.results) {
    if (loopParents.has(key)) continue;
    if (r.ranOn === undefined && !r.skipped) continue;
    countHostOutcome(tallies, hostOf(r.hostname), classify(r), r.skipped ? undefined : r.ranOn);
  }
  for (const u of outcome.unreachableHosts ?? []) countHostOutcome(tallies, hostOf(u.host), 'unreachable', u.ranOn);
  return tallies;
}

function classify(r: TaskResult): 'ok' | 'failed' | 'skipped' | 'timed_out' | 'unreachable' {
  if (r.skipped) return 'skipped';
  if (r.unreachable) return 'unreachable';
  if (r.timedOut) return 'timed_out';
  return r.success ? 'ok' : 'failed';
}
