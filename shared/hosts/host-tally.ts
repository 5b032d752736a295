/**
 * Per-host outcome counts of a run (the recap at its end, the JSON `hosts` object, parallelr's
 * recap across files). Shared because the in-process engine hands them to parallelr through CliIo.
 */

export interface HostTally {
  ok: number;
  failed: number;
  skipped: number;
  timed_out: number;
  unreachable: number;
  /** Where its tasks ran: `local`, `ssh`, `agent:NAME` (sorted, each once). */
  ran_on: string[];
}

export type HostTallies = Record<string, HostTally>;

export type HostOutcome = 'ok' | 'failed' | 'skipped' | 'timed_out' | 'unreachable';

export function emptyTally(): HostTally {
  return { ok: 0, failed: 0, skipped: 0, timed_out: 0, unreachable: 0, ran_on: [] };
}

/** Count one outcome for `host` (and note where it ran, when it ran somewhere). */
export function countHostOutcome(tallies: HostTallies, host: string, outcome: HostOutcome, ranOn?: string): void {
  const t = (tallies[host] ??= emptyTally());
  t[outcome]++;
  if (ranOn && !t.ran_on.includes(ranOn)) {
    t.ran_on.push(ranOn);
    t.ran_on.sort();
  }
}

/** Add `from` into `into` (parallelr: the recap across files). */
export function mergeHostTallies(into: HostTallies, from: HostTallies): void {
  for (const [host, t] of Object.entries(from)) {
    const mine = (into[host] ??= emptyTally());
    mine.ok += t.ok;
    mine.failed += t.failed;
    mine.skipped += t.skipped;
    mine.timed_out += t.timed_out;
    mine.unreachable += t.unreachable;
    for (const r of t.ran_on) if (!mine.ran_on.includes(r)) mine.ran_on.push(r);
    mine.ran_on.sort();
  }
}

/**
 * The recap lines, Ansible's PLAY RECAP shape: one line per host, sorted by name, columns aligned.
 * `web01 : ok=2 failed=0 skipped=0 timed_out=0 unreachable=0 ran_on=agent:jump1`
 */
export function formatHostRecap(tallies: HostTallies): string[] {
  const hosts = Object.keys(tallies).sort();
  const width = Math.max(...hosts.map((h) => h.length));
  return hosts.map((h) => {
    const t = tallies[h]!;
    const counts = `ok=${t.ok} failed=${t.failed} skipped=${t.skipped} timed_out=${t.timed_out} unreachable=${t.unreachable}`;
    return `${h.padEnd(width)} : ${counts} ran_on=${t.ran_on.join(',') || '-'}`;
  });
}
