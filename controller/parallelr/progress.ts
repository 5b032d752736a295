import type { TaskEntry, TaskRecord } from './types.js';

/** Console feedback during a run: a live bar on a terminal, plain lines otherwise. */
export interface ProgressReporter {
  started(entry: TaskEntry, worker: number, command: string): void;
  finished(record: TaskRecord, index: number): void;
  /** A warning or error line that must not be eaten by the bar. */
  note(text: string): void;
  done(): void;
}

interface Out {
  write(text: string): unknown;
}

/** Creates the reporter; `tty` selects the bar (stderr) over plain lines (stdout). */
export function createProgressReporter(opts: { total: number; tty: boolean; stdout: Out; stderr: Out; quiet?: boolean }): ProgressReporter {
  const { total } = opts;
  const t0 = Date.now();
  let done = 0;
  let ok = 0;
  let failed = 0;
  let running = 0;
  let lastDraw = 0;
  let drawn = false;

  const bar = () => {
    const width = 30;
    const frac = total ? done / total : 1;
    const fill = Math.round(frac * width);
    const elapsed = (Date.now() - t0) / 1000;
    const rate = elapsed > 0 ? done / elapsed : 0;
    const eta = rate > 0 ? (total - done) / rate : NaN;
    const text =
      `[${'#'.repeat(fill)}${'-'.repeat(width - fill)}] ${done}/${total} ` +
      `ok ${ok} failed ${failed} running ${running} | ${rate.toFixed(1)}/s | ETA ${formatEta(eta)}`;
    opts.stderr.write(`\r\x1b[2K${text}`);
    drawn = true;
  };
  const maybeDraw = (force = false) => {
    const now = Date.now();
    if (force || now - lastDraw >= 100) {
      lastDraw = now;
      bar();
    }
  };
  const clear = () => {
    if (drawn) opts.stderr.write('\r\x1b[2K');
  };

  return {
    started(entry, worker, command) {
      running++;
      if (opts.quiet) return;
      if (opts.tty) maybeDraw();
      else opts.stdout.write(`[${entry.index}/${total}] worker ${worker}: ${command}\n`);
    },
    finished(record, index) {
      if (record.start_time !== null) running--;
      done++;
      if (record.status === 'SUCCESS') ok++;
      else if (record.status !== 'CANCELLED') failed++;
      if (opts.quiet) return;
      if (opts.tty) maybeDraw(done === total);
      else if (record.start_time !== null) {
        const code = record.exit_code === null ? '' : ` exit ${record.exit_code},`;
        opts.stdout.write(`[${index}/${total}] ${record.status}:${code} ${record.duration_seconds.toFixed(2)}s ${record.task_file ?? record.arguments.join(' ')} (${done}/${total} done)\n`);
      }
    },
    note(text) {
      if (opts.tty) {
        clear();
        opts.stderr.write(text.endsWith('\n') ? text : `${text}\n`);
        if (drawn) bar();
      } else opts.stderr.write(text.endsWith('\n') ? text : `${text}\n`);
    },
    done() {
      if (opts.tty && !opts.quiet) {
        if (!drawn || done !== total) bar();
        opts.stderr.write('\n');
      }
    },
  };
}

function formatEta(seconds: number): string {
  if (!Number.isFinite(seconds)) return '--:--';
  const s = Math.round(seconds);
  const h = Math.floor(s / 3600);
  const m = Math.floor((s % 3600) / 60);
  const pad = (n: number) => String(n).padStart(2, '0');
  return h ? `${h}:${pad(m)}:${pad(s % 60)}` : `${pad(m)}:${pad(s % 60)}`;
}
