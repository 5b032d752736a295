/**
 * A NATS worker's heartbeat (core NATS, not stored): who it is, its pool, version, slots and load,
 * every few seconds on `tasker.heartbeat.<pool>.<instance>`. Read by the web console's Fleet page;
 * nothing in a run depends on it.
 */

export const HEARTBEAT_INTERVAL_MS = 5000;

export interface HeartbeatMessage {
  type: 'heartbeat';
  agent: string;
  instance: string;
  pool: string;
  version: string;
  /** Job slots. */
  max: number;
  /** Jobs running now. */
  running: number;
  /** 1, 5 and 15 minute load averages of the agent's machine. */
  load: number[];
  /** Epoch milliseconds when it was sent. */
  time: number;
  /** Stopping: it takes no new job and finishes the ones it runs (absent otherwise, and from older agents). */
  draining?: boolean;
}

export const heartbeatSubjects = {
  all: 'tasker.heartbeat.>',
  of: (pool: string, instance: string) => `tasker.heartbeat.${pool}.${instance}`,
} as const;

/** The heartbeat in a message, or undefined for anything else (a foreign or malformed message). */
export function parseHeartbeat(data: Uint8Array): HeartbeatMessage | undefined {
  let v: Partial<HeartbeatMessage>;
  try {
    v = JSON.parse(new TextDecoder().decode(data)) as Partial<HeartbeatMessage>;
  } catch {
    return undefined;
  }
  if (typeof v !== 'object' || v === null || v.type !== 'heartbeat' || typeof v.agent !== 'string' || typeof v.instance !== 'string') return undefined;
  const num = (x: unknown) => (typeof x === 'number' && Number.isFinite(x) ? x : 0);
  return {
    type: 'heartbeat', agent: v.agent, instance: v.instance, pool: String(v.pool ?? ''), version: String(v.version ?? ''),
    max: num(v.max), running: num(v.running), load: Array.isArray(v.load) ? v.load.map(num) : [], time: num(v.time),
    ...(v.draining === true ? { draining: true } : {}),
  };
}
