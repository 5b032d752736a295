import { countFinished, formatFinishedLine, formatProgressLine, hasFailureDetail, newCounts } from './progress-format.js';
import { createStatusLine, type StatusLine, type StatusStream } from './status-line.js';
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

/** Creates the reporter; `tty` selects the status line (stderr, fitted to the terminal) over plain lines (stdout). */
export function createProgressReporter(opts: { total: number; tty: boolean; stdout: Out; stderr: StatusStream; quiet?: boolean }): ProgressReporter {
  const { total } = opts;
  const counts = newCounts(total);
  // The tasks started and not yet finished, by index: a task refused before it started (too big,
  // unreadable) also comes back with a start time, so that cannot tell.
  const running = new Set<number>();
  let line: StatusLine | undefined;
  const bar = () => (line ??= createStatusLine(opts.stderr, (width) => formatProgressLine(counts, width)));

  return {
    started(entry, worker, command) {
      running.add(entry.index);
      counts.running = running.size;
      if (opts.quiet) return;
      if (opts.tty) bar().update();
      else opts.stdout.write(`[${entry.index}/${total}] worker ${worker}: ${command}\n`);
    },
    finished(record, index) {
      running.delete(index);
      counts.running = running.size;
      countFinished(counts, record.status);
      if (opts.quiet) return;
      // On a terminal the bar stands for the lines, except a failed tasker file's: why it failed.
      if (opts.tty && hasFailureDetail(record)) bar().print(formatFinishedLine(record, index, counts).trimEnd());
      if (opts.tty) bar().update(counts.done === total);
      else if (record.start_time !== null) opts.stdout.write(formatFinishedLine(record, index, counts));
    },
    note(text) {
      if (line) line.print(text);
      else opts.stderr.write(text.endsWith('\n') ? text : `${text}\n`);
    },
    done() {
      if (opts.tty && !opts.quiet) bar().finish();
    },
  };
}
