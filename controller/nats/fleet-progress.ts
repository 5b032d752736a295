/** Live progress of a distributed run, per agent: a redrawn status line on a terminal, plain lines otherwise. */
import { countFinished, formatFinishedLine, formatProgressLine, hasFailureDetail, newCounts } from '../parallelr/index.js';
import { createStatusLine, type StatusLine, type StatusStream } from '../parallelr/index.js';
import type { TaskRecord } from '../parallelr/index.js';

interface Out {
  write(text: string): unknown;
}

/** Counters for one agent. */
export interface AgentStats {
  running: number;
  done: number;
  ok: number;
  failed: number;
  seconds: number;
}

export interface FleetProgress {
  started(seq: number, agent: string): void;
  finished(record: TaskRecord, seq: number): void;
  note(text: string): void;
  done(): void;
  readonly agents: ReadonlyMap<string, AgentStats>;
  /** The run's jobs running now, and the agents they run on. */
  running(): { jobs: number; agents: string[] };
}

/** The fleet's reporter: the same status line as a local run (counts, rate, ETA; fitted to the terminal), with each agent's done/failed/running as its tail. */
export function createFleetProgress(opts: { total: number; tty: boolean; stdout: Out; stderr: StatusStream; quiet?: boolean; alreadyDone?: number }): FleetProgress {
  const counts = newCounts(opts.total, opts.alreadyDone ?? 0);
  const agents = new Map<string, AgentStats>();
  const runningOn = new Map<number, string>();
  const stats = (name: string): AgentStats => {
    let s = agents.get(name);
    if (!s) agents.set(name, (s = { running: 0, done: 0, ok: 0, failed: 0, seconds: 0 }));
    return s;
  };
  // Per agent: done, failed (of those done) and running now; the run's ETA is in the counts before it.
  const tail = () => ` | agents: ${[...agents].map(([n, s]) => `${n}: ${s.done} done, ${s.failed} failed, ${s.running} running`).join('; ') || '(none yet)'}`;
  let line: StatusLine | undefined;
  const bar = () => (line ??= createStatusLine(opts.stderr, (width) => formatProgressLine(counts, width, tail()), 200));
  const draw = (force = false) => {
    if (opts.tty && !opts.quiet) bar().update(force);
  };
  return {
    agents,
    running() {
      const on = [...agents].filter(([, s]) => s.running > 0);
      return { jobs: on.reduce((n, [, s]) => n + s.running, 0), agents: on.map(([name]) => name) };
    },
    started(seq, agent) {
      const was = runningOn.get(seq);
      if (was === agent) return;
      // Claimed again by another agent (the first was lost): it runs there now.
      if (was !== undefined) stats(was).running = Math.max(0, stats(was).running - 1);
      runningOn.set(seq, agent);
      stats(agent).running++;
      counts.running = runningOn.size;
      draw();
    },
    finished(record, seq) {
      const agent = record.agent ?? '(none)';
      const was = runningOn.get(seq);
      if (was !== undefined) {
        runningOn.delete(seq);
        stats(was).running = Math.max(0, stats(was).running - 1);
        counts.running = runningOn.size;
      }
      countFinished(counts, record.status);
      if (record.agent !== null) {
        const s = stats(agent);
        s.done++;
        s.seconds += record.duration_seconds;
        if (record.status === 'SUCCESS') s.ok++;
        else if (record.status !== 'CANCELLED') s.failed++;
      }
      if (opts.quiet) return;
      // On a terminal the bar stands for the lines, except a failed tasker file's: why it failed.
      if (opts.tty && hasFailureDetail(record)) bar().print(formatFinishedLine(record, seq, counts, ` on ${agent}#${record.worker ?? '?'}`).trimEnd());
      if (opts.tty) draw(counts.done === opts.total);
      else if (record.agent !== null) opts.stdout.write(formatFinishedLine(record, seq, counts, ` on ${agent}#${record.worker ?? '?'}`));
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

/** The per-agent table for the final summary. */
export function formatAgentTable(agents: ReadonlyMap<string, AgentStats>): string {
  if (!agents.size) return 'Agents:\n- (no task ran on any agent)\n';
  const lines = ['Agents:'];
  for (const [name, s] of [...agents].sort(([a], [b]) => a.localeCompare(b))) {
    const avg = s.done ? (s.seconds / s.done).toFixed(2) : '0.00';
    lines.push(`- ${name}: ${s.done} tasks, ${s.ok} ok, ${s.failed} failed, avg ${avg}s`);
  }
  return lines.join('\n') + '\n';
}
