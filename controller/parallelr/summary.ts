import type { TaskRecord } from './types.js';
import { formatRecapSection, type HostRecap } from './host-recap.js';

export interface RunCounts {
  total: number;
  succeeded: number;
  /** FAILED + TIMEOUT + ERROR. */
  failed: number;
  timedOut: number;
  errors: number;
  cancelled: number;
}

/** Counts records by status. */
export function countRecords(records: readonly TaskRecord[]): RunCounts {
  const c: RunCounts = { total: records.length, succeeded: 0, failed: 0, timedOut: 0, errors: 0, cancelled: 0 };
  for (const r of records) {
    if (r.status === 'SUCCESS') c.succeeded++;
    else if (r.status === 'CANCELLED') c.cancelled++;
    else {
      c.failed++;
      if (r.status === 'TIMEOUT') c.timedOut++;
      if (r.status === 'ERROR') c.errors++;
    }
  }
  return c;
}

/** What the final report needs besides the records. */
export interface SummaryInput {
  records: readonly TaskRecord[];
  workers: number;
  pid: number;
  workspace: { dir: string; isolated: boolean };
  logDir: string;
  stopLimits: { enabled: boolean; description?: string; tripped?: string };
  files: { mainLog?: string; results?: string; output?: string | null };
  /** SIGINT / SIGTERM when the run was interrupted. */
  interrupted?: string;
  elapsedSeconds: number;
  /** Per-host counts across the files (shown when more than one host was touched). */
  hosts?: HostRecap;
}

/** The end-of-run report (peer §13 shape, plus timeouts/errors and wall time). */
export function formatSummary(s: SummaryInput): string {
  const c = countRecords(s.records);
  const lines: string[] = ['Parallel Task Execution Summary', '==============================='];
  lines.push(`Total Tasks: ${c.total}`);
  lines.push(`Completed Successfully: ${c.succeeded}`);
  lines.push(`Failed: ${c.failed}${c.failed ? ` (timeouts: ${c.timedOut}, errors: ${c.errors})` : ''}`);
  lines.push(`Cancelled: ${c.cancelled}`);
  const finished = c.succeeded + c.failed;
  lines.push(`Success Rate: ${finished ? ((c.succeeded / finished) * 100).toFixed(1) : '0.0'}%`);
  if (s.interrupted) lines.push(`Interrupted: ${s.interrupted}`);
  lines.push('');
  const ok = s.records.filter((r) => r.status === 'SUCCESS').map((r) => r.duration_seconds);
  lines.push('Performance Statistics:');
  lines.push(`- Wall Time: ${s.elapsedSeconds.toFixed(2)}s`);
  if (ok.length) {
    lines.push(`- Average Duration: ${(ok.reduce((a, b) => a + b, 0) / ok.length).toFixed(2)}s`);
    lines.push(`- Maximum Duration: ${Math.max(...ok).toFixed(2)}s`);
    lines.push(`- Minimum Duration: ${Math.min(...ok).toFixed(2)}s`);
  }
  lines.push('');
  lines.push(...formatRecapSection(s.hosts));
  lines.push('Directories:');
  lines.push(`- Working Dir: ${s.workspace.dir}`);
  lines.push(`- Workspace Type: ${s.workspace.isolated ? 'Isolated (one directory per task)' : 'Shared'}`);
  lines.push(`- Log Dir: ${s.logDir}`);
  lines.push('');
  lines.push('Auto-Stop Protection:');
  lines.push(`- Stop Limits: ${s.stopLimits.enabled ? `Enabled (${s.stopLimits.description ?? ''})` : 'Disabled'}`);
  if (s.stopLimits.tripped) lines.push(`- Triggered: ${s.stopLimits.tripped}`);
  lines.push('');
  lines.push('Log Files:');
  if (s.files.mainLog) lines.push(`- Main Log: ${s.files.mainLog}`);
  if (s.files.results) lines.push(`- Results: ${s.files.results}`);
  lines.push(`- Output: ${s.files.output ?? 'disabled (use --log-task-output)'}`);
  lines.push('');
  lines.push('Process Info:');
  lines.push(`- Process ID: ${s.pid}`);
  lines.push(`- Workers: ${s.workers}`);
  return lines.join('\n') + '\n';
}
