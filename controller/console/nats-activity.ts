/**
 * What the console learns from NATS without taking part in any run: it only listens. Workers are
 * known by their heartbeats (`tasker.heartbeat.>`, when the agents send them) and by the notices
 * of the jobs they start and finish (a job's stored attempt and result on `tasker.results.<run>.<seq>`;
 * older agents announce a start on `tasker.progress.<run>` instead), which also give each distributed
 * run's busy slots per agent.
 */
import type { NatsConnection } from '@nats-io/transport-node';
import { connectNats, heartbeatSubjects, parseHeartbeat, parseStarted, parseStoredMessage, startsOf } from '../../shared/nats/index.js';
import type { LiveState, Slot } from './live-progress.js';

export interface WorkerRow {
  agent: string;
  pool?: string;
  version?: string;
  max?: number;
  running: number;
  load?: number[];
  jobsDone: number;
  lastSeenMs: number;
  seenBy: 'heartbeat' | 'jobs';
  /** Its last heartbeat said it is stopping (finishing its jobs, taking none). */
  draining?: boolean;
}

export class NatsActivity {
  readonly workers = new Map<string, WorkerRow>();
  /** run id → slot key (`agent/worker`) → what runs there. */
  readonly slots = new Map<string, Map<string, Slot & { seq: number; agent: string }>>();

  private constructor(private readonly nc: NatsConnection) {}

  static async connect(url: string): Promise<NatsActivity> {
    const nc = await connectNats({ servers: url, name: 'tasker-ui (read-only)' });
    const a = new NatsActivity(nc);
    nc.subscribe('tasker.progress.>', { callback: (_e, m) => a.onStarted(m.data) });
    nc.subscribe('tasker.results.>', { callback: (_e, m) => a.onResult(m.data) });
    nc.subscribe(heartbeatSubjects.all, { callback: (_e, m) => a.onHeartbeat(m.data) });
    return a;
  }

  private worker(agent: string, seenBy: WorkerRow['seenBy']): WorkerRow {
    let w = this.workers.get(agent);
    if (!w) this.workers.set(agent, (w = { agent, running: 0, jobsDone: 0, lastSeenMs: 0, seenBy }));
    w.lastSeenMs = Date.now();
    return w;
  }

  onStarted(data: Uint8Array): void {
    const s = parseStarted(data);
    if (s) this.started(s);
  }

  /** An agent started job `seq` of `run_id` in its slot `worker`. */
  private started(s: { run_id: string; seq: number; agent: string; worker: number }): void {
    const w = this.worker(s.agent, 'jobs');
    w.running++;
    let run = this.slots.get(s.run_id);
    if (!run) this.slots.set(s.run_id, (run = new Map()));
    run.set(`${s.agent}/${s.worker}`, { name: `${s.agent} slot ${s.worker}`, task: `job ${s.seq}`, sinceMs: Date.now(), seq: s.seq, agent: s.agent });
  }

  /** A stored attempt or batch attempt (jobs started, with their slots) or a result (which may mark more). */
  onResult(data: Uint8Array): void {
    const stored = parseStoredMessage(data);
    if (stored.kind !== 'result') {
      for (const s of startsOf(stored)) if (s.worker !== undefined) this.started({ ...s, worker: s.worker });
      return;
    }
    const r = stored;
    const w = this.worker(r.value.agent, 'jobs');
    w.running = Math.max(0, w.running - 1);
    w.jobsDone++;
    const run = this.slots.get(r.value.run_id);
    const key = `${r.value.agent}/${r.value.worker}`;
    if (run?.get(key)?.seq === r.value.seq) run.delete(key);
    for (const s of startsOf(stored)) if (s.worker !== undefined) this.started({ ...s, worker: s.worker });
  }

  onHeartbeat(data: Uint8Array): void {
    const hb = parseHeartbeat(data);
    if (!hb) return;
    const w = this.worker(hb.agent, 'heartbeat');
    Object.assign(w, { seenBy: 'heartbeat', pool: hb.pool, version: hb.version, max: hb.max, running: hb.running, load: hb.load, draining: hb.draining === true });
  }

  /** A distributed run's live state gets its agents' busy slots. */
  decorate(state: LiveState, runId: string | undefined): LiveState {
    const slots = runId ? this.slots.get(runId) : undefined;
    if (!slots?.size) return state;
    const busy = new Map<string, number>();
    for (const s of slots.values()) busy.set(s.agent, (busy.get(s.agent) ?? 0) + 1);
    const agents = [...busy].map(([name, n]) => ({ name, busy: n, max: this.workers.get(name)?.max, load: this.workers.get(name)?.load?.[0] }));
    return { ...state, slots: [...state.slots, ...slots.values()], agents };
  }

  async close(): Promise<void> {
    await this.nc.close().catch(() => undefined);
  }
}
