/**
 * What the console learns from NATS without taking part in any run: it only listens. Workers are
 * known by their heartbeats (`tasker.heartbeat.>`, when the agents send them) and by the notices
 * of the jobs they start and finish (`tasker.progress.<run>` and `tasker.results.<run>.<seq>`),
 * which also give each distributed run's busy slots per agent.
 */
import type { NatsConnection } from '@nats-io/transport-node';
import { connectNats, parseResult, parseStarted } from '../../shared/nats/index.js';
import type { LiveState, Slot } from './live-progress.js';

export interface WorkerRow {
  agent: string;
  pool?: string;
  version?: string;
  max?: number;
  running: number;
  jobsDone: number;
  lastSeenMs: number;
  seenBy: 'heartbeat' | 'jobs';
}

const HEARTBEAT_SUBJECTS = 'tasker.heartbeat.>';

export class NatsActivity {
  readonly workers = new Map<string, WorkerRow>();
  /** run id → slot key (`agent/worker`) → what runs there. */
  readonly slots = new Map<string, Map<string, Slot & { seq: number }>>();

  private constructor(private readonly nc: NatsConnection) {}

  static async connect(url: string): Promise<NatsActivity> {
    const nc = await connectNats({ servers: url, name: 'tasker-ui (read-only)' });
    const a = new NatsActivity(nc);
    nc.subscribe('tasker.progress.>', { callback: (_e, m) => a.onStarted(m.data) });
    nc.subscribe('tasker.results.>', { callback: (_e, m) => a.onResult(m.data) });
    nc.subscribe(HEARTBEAT_SUBJECTS, { callback: (_e, m) => a.onHeartbeat(m.data) });
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
    if (!s) return;
    const w = this.worker(s.agent, 'jobs');
    w.running++;
    let run = this.slots.get(s.run_id);
    if (!run) this.slots.set(s.run_id, (run = new Map()));
    run.set(`${s.agent}/${s.worker}`, { name: `${s.agent} slot ${s.worker}`, task: `job ${s.seq}`, sinceMs: Date.now(), seq: s.seq });
  }

  onResult(data: Uint8Array): void {
    const r = parseResult(data);
    if (!r.ok) return;
    const w = this.worker(r.value.agent, 'jobs');
    w.running = Math.max(0, w.running - 1);
    w.jobsDone++;
    const run = this.slots.get(r.value.run_id);
    const key = `${r.value.agent}/${r.value.worker}`;
    if (run?.get(key)?.seq === r.value.seq) run.delete(key);
  }

  onHeartbeat(data: Uint8Array): void {
    let hb: { agent?: unknown; pool?: unknown; version?: unknown; max?: unknown; running?: unknown };
    try {
      hb = JSON.parse(new TextDecoder().decode(data)) as typeof hb;
    } catch {
      return;
    }
    if (typeof hb.agent !== 'string') return;
    const w = this.worker(hb.agent, 'heartbeat');
    w.seenBy = 'heartbeat';
    if (typeof hb.pool === 'string') w.pool = hb.pool;
    if (typeof hb.version === 'string') w.version = hb.version;
    if (typeof hb.max === 'number') w.max = hb.max;
    if (typeof hb.running === 'number') w.running = hb.running;
  }

  /** A distributed run's results file is `parallelr_<run id>_results.jsonl`: its live state gets that run's slots. */
  decorate(state: LiveState, resultsFile?: string): LiveState {
    for (const [runId, slots] of this.slots) {
      if (resultsFile?.includes(`parallelr_${runId}_results`) && slots.size) return { ...state, slots: [...state.slots, ...slots.values()] };
    }
    return state;
  }

  async close(): Promise<void> {
    await this.nc.close().catch(() => undefined);
  }
}
