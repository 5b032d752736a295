/** The runs under BASE, refreshed at most once per interval; pages and the live feed ask it. */
import { mergeRuns } from './merge-runs.js';
import { BaseScanner } from './scan-base.js';
import type { RunState, RunSummary } from './run-summary.js';

export interface RunFilter {
  status?: RunState | '';
  project?: string;
  file?: string;
}

export class RunIndex {
  private readonly scanner: BaseScanner;
  private runs: RunSummary[] = [];
  private byId = new Map<string, RunSummary>();
  private scannedAt = 0;

  constructor(readonly base: string, private readonly minIntervalMs = 500) {
    this.scanner = new BaseScanner(base);
  }

  /** Rescans BASE when the last scan is older than the interval; returns whether runs changed. */
  refresh(nowMs = Date.now()): boolean {
    if (nowMs - this.scannedAt < this.minIntervalMs && this.scannedAt > 0) return false;
    this.scannedAt = nowMs;
    const changed = this.scanner.scan(nowMs);
    if (changed || this.runs.length === 0) {
      this.runs = mergeRuns(this.scanner.files);
      this.byId = new Map(this.runs.map((r) => [r.id, r]));
    } else {
      // A parallelr session may have ended without writing (killed): its state is rechecked.
      for (const r of this.runs) if (r.status === 'running') return this.remerge();
    }
    return changed;
  }

  /** Re-reads the records of the runs in progress only (the live feed calls this often; a full scan less often). */
  refreshRunning(nowMs = Date.now()): boolean {
    let changed = false;
    for (const r of this.running()) {
      for (const p of [r.logFile, r.resultsFile, r.stateFile]) if (p && this.scanner.refresh(p, nowMs)) changed = true;
    }
    return changed ? (this.remerge(), true) : this.running().length > 0 && this.remerge();
  }

  private remerge(): boolean {
    const before = JSON.stringify(this.runs.filter((r) => r.status === 'running'));
    this.runs = mergeRuns(this.scanner.files);
    this.byId = new Map(this.runs.map((r) => [r.id, r]));
    return before !== JSON.stringify(this.runs.filter((r) => r.status === 'running'));
  }

  all(): readonly RunSummary[] {
    return this.runs;
  }

  get(id: string): RunSummary | undefined {
    return this.byId.get(id);
  }

  running(): RunSummary[] {
    return this.runs.filter((r) => r.status === 'running');
  }

  projects(): string[] {
    return [...new Set(this.runs.map((r) => r.project).filter((p): p is string => Boolean(p)))].sort();
  }

  filter(f: RunFilter): RunSummary[] {
    const file = f.file?.toLowerCase();
    return this.runs.filter((r) => (!f.status || r.status === f.status) && (!f.project || r.project === f.project) && (!file || r.file.toLowerCase().includes(file)));
  }
}
