import { killProcessGroup } from '../../shared/exec/index.js';
import { childPids } from '../../shared/exec/index.js';
import { isSameProcessAlive, type WorkerEntry, type WorkerRegistry } from './registry.js';

/** The --list-workers table: PID, status, mode, start, progress, log. */
export function formatWorkerTable(entries: readonly WorkerEntry[]): string {
  if (entries.length === 0) return 'No parallelr workers are running.\n';
  const rows = entries.map((e) => [
    String(e.pid),
    e.status,
    `${e.daemon ? 'daemon' : 'foreground'}${e.run_id !== undefined ? ', nats' : ''}`,
    e.start_time.replace('T', ' ').replace(/\.\d+Z$/, 'Z'),
    `${e.done}/${e.total}${e.failed ? ` (${e.failed} failed)` : ''}`,
    e.main_log ?? '-',
  ]);
  const head = ['PID', 'STATUS', 'MODE', 'STARTED', 'PROGRESS', 'LOG'];
  const widths = head.map((h, i) => Math.max(h.length, ...rows.map((r) => r[i]!.length)));
  const line = (cells: string[]) => cells.map((c, i) => (i === cells.length - 1 ? c : c.padEnd(widths[i]!))).join('  ');
  const out = [line(head), ...rows.map(line)];
  out.push('');
  for (const e of entries) {
    if (e.run_id !== undefined) out.push(`${e.pid} distributed run ${e.run_id} via ${e.nats ?? '?'} (pool ${e.pool ?? '?'}); follow it: parallelr --watch ${e.run_id}`);
    if (e.results) out.push(`${e.pid} results: ${e.results}`);
  }
  out.push('', 'Stop one: parallelr -k PID    Stop all: parallelr -k');
  return out.join('\n') + '\n';
}

export interface KillOutcome {
  pid: number;
  /** 'terminated' (exited after SIGTERM), 'killed' (needed SIGKILL), 'gone' (already dead). */
  how: 'terminated' | 'killed' | 'gone';
}

/**
 * Stops managers: SIGTERM (a manager then kills its task groups and records the rest CANCELLED), wait up
 * to graceMs, then SIGKILL the manager and every process group it had started, so nothing is orphaned.
 * `hurryAfterMs`: a second SIGTERM then to those still running — a distributed controller stops
 * waiting for its agents' reports and writes its records before the SIGKILL would lose them.
 */
export async function stopWorkers(registry: WorkerRegistry, entries: readonly WorkerEntry[], graceMs: number, hurryAfterMs?: number): Promise<KillOutcome[]> {
  const outcomes = new Map<number, KillOutcome>();
  for (const e of entries) {
    if (!isSameProcessAlive(e.pid, e.proc_start)) {
      outcomes.set(e.pid, { pid: e.pid, how: 'gone' });
      continue;
    }
    try {
      process.kill(e.pid, 'SIGTERM');
    } catch {
      outcomes.set(e.pid, { pid: e.pid, how: 'gone' });
    }
  }
  const deadline = Date.now() + graceMs;
  let hurryAt = hurryAfterMs === undefined ? Infinity : Date.now() + hurryAfterMs;
  for (;;) {
    const waiting = entries.filter((e) => !outcomes.has(e.pid));
    for (const e of waiting) {
      if (!isSameProcessAlive(e.pid, e.proc_start)) outcomes.set(e.pid, { pid: e.pid, how: 'terminated' });
      else if (Date.now() >= hurryAt) signal(e.pid, 'SIGTERM');
    }
    if (Date.now() >= hurryAt) hurryAt = Infinity;
    if (entries.every((e) => outcomes.has(e.pid)) || Date.now() >= deadline) break;
    await new Promise((r) => setTimeout(r, 50));
  }
  for (const e of entries) {
    if (outcomes.has(e.pid)) continue;
    const groups = childPids(e.pid);
    try {
      process.kill(e.pid, 'SIGKILL');
    } catch {
      /* exited just now */
    }
    for (const g of groups) killProcessGroup(g, 'SIGKILL');
    outcomes.set(e.pid, { pid: e.pid, how: 'killed' });
  }
  registry.withLock(() => entries.forEach((e) => registry.remove(e.pid)));
  return entries.map((e) => outcomes.get(e.pid)!);
}

function signal(pid: number, sig: NodeJS.Signals): void {
  try {
    process.kill(pid, sig);
  } catch {
    /* exited just now */
  }
}
