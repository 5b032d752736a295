/** Walks BASE for run records and keeps what each file says, re-reading only files that changed. */
import { readdirSync, statSync } from 'node:fs';
import { join } from 'node:path';
import { advanceTally, emptyTally, isParallelrMainLog, readParallelrLog, type ParallelrLogFacts, type ResultsTally } from './read-parallelr.js';
import { advanceSummary, projectOfSummary, readDistState, readRunJson, type DistStateFacts, type JsonFacts, type SummaryFile } from './read-records.js';
import { isTaskerLogName, readTaskerLog, type TaskerLogFacts } from './read-tasker-log.js';

export type FileRecord =
  | { kind: 'tasker-log'; facts: TaskerLogFacts }
  | { kind: 'parallelr-log'; facts: ParallelrLogFacts }
  | { kind: 'results'; tally: ResultsTally }
  | { kind: 'json'; facts: JsonFacts }
  | { kind: 'dist-state'; facts: DistStateFacts }
  | { kind: 'summary'; file: SummaryFile }
  | { kind: 'other' };

export interface ScannedFile {
  size: number;
  mtimeMs: number;
  record: FileRecord;
}

/** Folders under BASE that hold no run records of their own (task-file copies, parallelr's state). */
const SKIP_DIRS = new Set(['tasks', 'backups', 'workspace', 'pids', 'node_modules', '.git', 'recovery']);
const MAX_DEPTH = 4;
/** Bounds one scan: a BASE with more files than this is indexed up to it (docs/console.md). */
export const MAX_FILES = 200_000;

export class BaseScanner {
  readonly files = new Map<string, ScannedFile>();

  constructor(readonly base: string) {}

  /** One pass over BASE; returns whether anything changed. */
  scan(nowMs = Date.now()): boolean {
    const seen = new Set<string>();
    let changed = false;
    const walk = (dir: string, depth: number): void => {
      let entries;
      try {
        entries = readdirSync(dir, { withFileTypes: true });
      } catch {
        return;
      }
      for (const e of entries) {
        if (seen.size >= MAX_FILES) return;
        const path = join(dir, e.name);
        if (e.isDirectory()) {
          if (depth < MAX_DEPTH && !SKIP_DIRS.has(e.name)) walk(path, depth + 1);
          continue;
        }
        if (!e.isFile() || !/\.(log|json|jsonl)$/.test(e.name)) continue;
        seen.add(path);
        if (this.refresh(path, nowMs)) changed = true;
      }
    };
    walk(this.base, 0);
    for (const path of this.files.keys()) {
      if (!seen.has(path)) {
        this.files.delete(path);
        changed = true;
      }
    }
    return changed;
  }

  /** Re-reads one file when its size or time changed (a running log also when it may have gone stale). */
  refresh(path: string, nowMs: number): boolean {
    let st;
    try {
      st = statSync(path);
    } catch {
      return false;
    }
    const old = this.files.get(path);
    const unchanged = old && old.size === st.size && old.mtimeMs === st.mtimeMs;
    if (unchanged && !(old.record.kind === 'tasker-log' && old.record.facts.status === 'running')) return false;
    const record = this.read(path, st.size, st.mtimeMs, nowMs, old?.record);
    this.files.set(path, { size: st.size, mtimeMs: st.mtimeMs, record });
    return !unchanged || JSON.stringify(record) !== JSON.stringify(old.record);
  }

  private read(path: string, size: number, mtimeMs: number, nowMs: number, old: FileRecord | undefined): FileRecord {
    try {
      if (path.endsWith('.jsonl')) {
        return { kind: 'results', tally: advanceTally(old?.kind === 'results' ? old.tally : emptyTally(), path, size) };
      }
      if (path.endsWith('.json')) {
        const facts = readRunJson(path, size);
        if (facts) return { kind: 'json', facts };
        const state = readDistState(path, size);
        return state ? { kind: 'dist-state', facts: state } : { kind: 'other' };
      }
      const project = projectOfSummary(path);
      if (project !== undefined) {
        return { kind: 'summary', file: advanceSummary(old?.kind === 'summary' ? old.file : { project, offset: 0, lines: 0, rows: [] }, path, size) };
      }
      if (isParallelrMainLog(path)) {
        const facts = readParallelrLog(path, size, mtimeMs);
        return facts ? { kind: 'parallelr-log', facts } : { kind: 'other' };
      }
      if (isTaskerLogName(path)) {
        const facts = readTaskerLog(path, size, mtimeMs, nowMs);
        return facts ? { kind: 'tasker-log', facts } : { kind: 'other' };
      }
    } catch {
      // A file removed or unreadable between the listing and the read is simply not a record now.
    }
    return { kind: 'other' };
  }
}
