/**
 * Tells the operator when nobody takes the run's jobs, instead of a silent wait (docs/nats.md,
 * "Limits and decisions"). The run is stalled when none of its jobs started or finished for a while
 * (10 s) and either
 * - jobs wait and none of the run's jobs runs: a mistyped pool, a pool whose agents are down or
 *   busy with other runs; or
 * - jobs run, but on agents that send no heartbeat: they are gone (a host lost), and their jobs
 *   come back only after the pool's ack_wait, to an agent of the pool if there is one.
 * Long jobs on agents that are heard are no stall: nothing is said.
 *
 * Nothing is decided here: the run keeps waiting. The note says why, from the agents' heartbeats
 * (`tasker.heartbeat.>`, one every 5 s from each agent), which it listens to only while the run is
 * stalled, from `listenAfterMs` on. It is said again every `repeatMs` while the stall lasts, and
 * once more when a job is taken again. While JetStream itself does not answer, its own watch speaks
 * (watch-jetstream.ts) and this one stays quiet: no agent can claim a job then.
 */
import type { NatsConnection, Subscription } from '@nats-io/transport-node';
import { HEARTBEAT_INTERVAL_MS, heartbeatSubjects, parseHeartbeat, type HeartbeatMessage } from '../../shared/nats/index.js';

export interface TakersWatchOptions {
  /** Stalled this long: start listening to heartbeats. Default 4 s. */
  listenAfterMs?: number;
  /** Stalled this long: say so. Default 10 s (listening at least one heartbeat interval by then). */
  quietMs?: number;
  /** Said again this often while it lasts. Default 60 s. */
  repeatMs?: number;
  /** How often the stall is looked at. Default 1 s. */
  tickMs?: number;
}

/** What the run knows of its jobs now. */
export interface TakersState {
  /** Jobs neither started nor finished. */
  waiting: number;
  /** Jobs started and not finished. */
  running: number;
  /** The agents those jobs run on. */
  runningOn: readonly string[];
  /** JetStream does not answer now: its own watch speaks. */
  jetStreamDown: boolean;
}

export interface TakersWatch {
  /** A job of the run started (`took`) or finished on `agent`. */
  progressed(agent: string | undefined, what: 'took' | 'finished'): void;
  stop(): void;
}

/** Watch the run's progress until `stop()`; `note` gets a line when the run stalls (repeated while it lasts) and one when it moves again. */
export function watchTakers(nc: NatsConnection, pool: string, state: () => TakersState, note: (text: string) => void, o: TakersWatchOptions = {}): TakersWatch {
  const listenAfterMs = o.listenAfterMs ?? 4000;
  const quietMs = o.quietMs ?? 10_000;
  const repeatMs = o.repeatMs ?? 60_000;
  let last = Date.now();
  let lastNote = 0;
  let stalled = false;
  let heard: HeartbeatListener | undefined;

  const tick = () => {
    const now = Date.now();
    const s = state();
    if (s.waiting + s.running === 0 || s.jetStreamDown) {
      // Not stalled for want of takers: the clock starts again when it could be.
      last = now;
      heard = heard?.close();
      return;
    }
    if (now - last >= listenAfterMs) heard ??= listenToHeartbeats(nc);
    if (now - last < quietMs || (stalled && now - lastNote < repeatMs) || !heard) return;
    let reason: string | undefined;
    if (s.running === 0) reason = `no agent has taken a job of this run for ${seconds(now - last)} s (${s.waiting} waiting): ${whyNoTaker(pool, heard)}`;
    else reason = silentAgents(pool, heard, s, now - last);
    if (!reason) return;
    stalled = true;
    lastNote = now;
    note(`parallelr: ${reason}. The run waits for them; stop it with Ctrl-C or parallelr -k`);
  };
  const timer = setInterval(tick, o.tickMs ?? 1000);
  timer.unref();
  return {
    progressed(agent, what) {
      const now = Date.now();
      if (stalled) note(`parallelr: ${agent ? `agent ${agent}` : 'an agent'} ${what} a job after ${seconds(now - last)} s: the run carries on`);
      stalled = false;
      last = now;
      heard = heard?.close();
    },
    stop() {
      clearInterval(timer);
      heard = heard?.close();
    },
  };
}

/** The agents heard since listening began, by instance, with when; `denied` when this NATS user may not read heartbeats. */
interface HeartbeatListener {
  readonly agents: Map<string, HeartbeatMessage & { heardAt: number }>;
  readonly since: number;
  denied?: string;
  close(): undefined;
}

function listenToHeartbeats(nc: NatsConnection): HeartbeatListener {
  const listener: HeartbeatListener = {
    agents: new Map(),
    since: Date.now(),
    close: () => {
      try {
        sub?.unsubscribe();
      } catch {
        // closed connection: nothing to stop
      }
      return undefined;
    },
  };
  let sub: Subscription | undefined;
  try {
    sub = nc.subscribe(heartbeatSubjects.all, {
      callback: (err, m) => {
        if (err) {
          listener.denied = err.message;
          return;
        }
        const beat = parseHeartbeat(m.data);
        if (beat) listener.agents.set(beat.instance, { ...beat, heardAt: Date.now() });
      },
    });
  } catch (e) {
    listener.denied = (e as Error).message;
  }
  return listener;
}

/** Why nobody takes the waiting jobs, as far as the heartbeats tell. */
function whyNoTaker(pool: string, heard: HeartbeatListener): string {
  if (heard.denied) return `no agent of pool "${pool}" took one (which agents are up is unknown: this NATS user may not read their heartbeats, ${heartbeatSubjects.all}: ${heard.denied})`;
  const listened = Date.now() - heard.since;
  const all = [...heard.agents.values()];
  const mine = all.filter((a) => a.pool === pool);
  if (mine.length) {
    const slots = mine.reduce((n, a) => n + a.max, 0);
    const running = mine.reduce((n, a) => n + a.running, 0);
    const agents = `${mine.length} agent${mine.length > 1 ? 's' : ''} of pool "${pool}" (${names(mine)})`;
    const [is, has] = mine.length > 1 ? ['are', 'have'] : ['is', 'has'];
    if (running >= slots) return `the ${agents} ${is} busy with other work: ${running} of ${slots} slots running`;
    return `the ${agents} ${has} free slots (${running} of ${slots} running) yet took none: their logs say why (a NATS user that may not pull or claim jobs, or a version that cannot read them)`;
  }
  if (all.length === 0) {
    if (listened < HEARTBEAT_INTERVAL_MS) return `no agent of pool "${pool}" took one`;
    return `no agent at all is heard on this NATS server (none sent a heartbeat in ${seconds(listened)} s); start one with tasker-agent serve --nats URL --pool ${pool}`;
  }
  const pools = new Map<string, HeartbeatMessage[]>();
  for (const a of all) pools.set(a.pool, [...(pools.get(a.pool) ?? []), a]);
  const others = [...pools].sort(([a], [b]) => a.localeCompare(b)).map(([p, agents]) => `"${p}" (${names(agents)})`).join(', ');
  return `no agent of pool "${pool}" is heard on this NATS server; agents heard serve pool ${others}. Check --pool, or start one with tasker-agent serve --nats URL --pool ${pool}`;
}

/**
 * A beat is sent every HEARTBEAT_INTERVAL_MS: an agent not heard for two of them and a second (its
 * event loop may be busy) is silent, once the watch has listened that long.
 */
const SILENT_MS = 2 * HEARTBEAT_INTERVAL_MS + 1000;

/**
 * The stall of a run whose jobs run on agents that send no heartbeat; undefined while they are heard
 * (long jobs), not listened to long enough, or the heartbeats cannot be read (nothing to tell then).
 */
function silentAgents(pool: string, heard: HeartbeatListener, s: TakersState, stalledMs: number): string | undefined {
  const now = Date.now();
  if (heard.denied || now - heard.since < SILENT_MS) return undefined;
  const beats = [...heard.agents.values()].filter((a) => now - a.heardAt < SILENT_MS);
  const silent = s.runningOn.filter((name) => !beats.some((a) => a.agent === name));
  if (!silent.length) return undefined;
  // Silent since its last beat, or since the watch listens when it was not heard at all.
  const lastBeat = (name: string) => Math.max(heard.since, ...[...heard.agents.values()].filter((a) => a.agent === name).map((a) => a.heardAt));
  const silentFor = Math.min(...silent.map((name) => now - lastBeat(name)));
  const others = beats.filter((a) => a.pool === pool);
  const list = firstFew(silent);
  return `no job of this run started or finished for ${seconds(stalledMs)} s, and ${silent.length > 1 ? 'agents' : 'agent'} ${list}, ` +
    `running ${s.running} of its jobs, sent no heartbeat for ${seconds(silentFor)} s: if gone, those jobs go back to the queue ` +
    `after the pool's ack_wait and run again on another agent of pool "${pool}"` +
    (others.length ? ` (${names(others)} ${others.length > 1 ? 'are' : 'is'} heard)` : `, and none is heard${s.waiting ? ` (${s.waiting} more waiting)` : ''}`);
}

/** Agent names, the first few. */
function names(agents: readonly HeartbeatMessage[]): string {
  return firstFew([...new Set(agents.map((a) => a.agent))].sort());
}

/** The first four of a list, and how many more. */
function firstFew(list: readonly string[]): string {
  return list.length > 4 ? `${list.slice(0, 4).join(', ')} and ${list.length - 4} more` : list.join(', ');
}

function seconds(ms: number): number {
  return Math.round(ms / 1000);
}
