/** Live progress of a distributed run, per agent: a redrawn status line on a terminal, plain lines otherwise. */
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
}

export function createFleetProgress(opts: { total: number; tty: boolean; stdout: Out; stderr: Out; quiet?: boolean; alreadyDone?: number }): FleetProgress {
  const { total } = opts;
  const t0 = Date.now();
  const agents = new Map<string, AgentStats>();
  const runningOn = new Map<number, string>();
  let done = opts.alreadyDone ?? 0;
  const doneAtStart = done;
  let lastDraw = 0;
  let drawn = false;
  const stats = (name: string): AgentStats => {
    let s = agents.get(name);
    if (!s) agents.set(name, (s = { running: 0, done: 0, ok: 0, failed: 0, seconds: 0 }));
    return s;
  };
  const line = () => {
    const elapsed = (Date.now() - t0) / 1000;
    const rate = elapsed > 0 ? (done - doneAtStart) / elapsed : 0;
    const per = [...agents].map(([n, s]) => `${n} ${s.done}${s.running ? `+${s.running}` : ''}`).join(', ');
    return `[${done}/${total}] ${rate.toFixed(1)}/s | agents: ${per || '(none yet)'}`;
  };
  const draw = (force = false) => {
    if (!opts.tty || opts.quiet) return;
    const now = Date.now();
    if (!force && now - lastDraw < 200) return;
    lastDraw = now;
    opts.stderr.write(`\r\x1b[2K${line()}`);
    drawn = true;
  };
  return {
    agents,
    started(seq, agent) {
      if (runningOn.has(seq)) return;
      runningOn.set(seq, agent);
      stats(agent).running++;
      draw();
    },
    finished(record, seq) {
      const agent = record.agent ?? '(none)';
      const was = runningOn.get(seq);
      if (was !== undefined) {
        runningOn.delete(seq);
        stats(was).running = Math.max(0, stats(was).running - 1);
      }
      done++;
      if (record.agent !== null) {
        const s = stats(agent);
        s.done++;
        s.seconds += record.duration_seconds;
        if (record.status === 'SUCCESS') s.ok++;
        else if (record.status !== 'CANCELLED') s.failed++;
      }
      if (opts.quiet) return;
      if (opts.tty) draw(done === total);
      else if (record.agent !== null) {
        const code = record.exit_code === null ? '' : ` exit ${record.exit_code},`;
        opts.stdout.write(
          `[${seq}/${total}] ${record.status}:${code} ${record.duration_seconds.toFixed(2)}s ${record.task_file ?? ''} on ${agent}#${record.worker ?? '?'} (${done}/${total} done)\n`,
        );
      }
    },
    note(text) {
      if (opts.tty && drawn) opts.stderr.write('\r\x1b[2K');
      opts.stderr.write(text.endsWith('\n') ? text : `${text}\n`);
      if (opts.tty && drawn) draw(true);
    },
    done() {
      if (opts.tty && !opts.quiet) {
        draw(true);
        opts.stderr.write('\n');
      }
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
