/** The worker's heartbeat: its name, pool, version, slots, running jobs and load, every few seconds. */
import { loadavg } from 'node:os';
import type { NatsConnection } from '@nats-io/transport-node';
import { HEARTBEAT_INTERVAL_MS, heartbeatSubjects, subjects, type FleetReply, type HeartbeatMessage } from '../../shared/nats/index.js';
import { VERSION } from '../../shared/version.js';

/**
 * Starts sending (one at once, then every interval). `beat()` sends one now (the worker starts
 * draining: it says so at once); `stop()` ends them, once the worker has no job left: a draining
 * agent still runs jobs, and is heard (`draining: true`) until they end.
 */
export function startHeartbeat(
  p: { nc: NatsConnection; name: string; instance: string; pool: string; max: number },
  now: () => { running: number; draining: boolean },
): { beat(): void; stop(): void } {
  const beat = () => {
    const { running, draining } = now();
    const m: HeartbeatMessage = {
      type: 'heartbeat', agent: p.name, instance: p.instance, pool: p.pool, version: VERSION, max: p.max, running, load: loadavg(), time: Date.now(),
      ...(draining ? { draining } : {}),
    };
    try {
      p.nc.publish(heartbeatSubjects.of(p.pool, p.instance), new TextEncoder().encode(JSON.stringify(m)));
    } catch {
      // A closed or draining connection: the worker is stopping, nobody needs the beat.
    }
  };
  beat();
  const timer = setInterval(beat, HEARTBEAT_INTERVAL_MS);
  timer.unref();
  return { beat, stop: () => clearInterval(timer) };
}

/** Answer `tasker.fleet.<pool>`: a controller sizes its batches from the slots of the agents that answer. */
export function answerFleet(p: { nc: NatsConnection; name: string; instance: string; pool: string; max: number }): void {
  const reply: FleetReply = { agent: p.name, instance: p.instance, max: p.max, batches: true };
  const data = new TextEncoder().encode(JSON.stringify(reply));
  p.nc.subscribe(subjects.fleet(p.pool), {
    callback: (err, m) => {
      if (err) return;
      try {
        m.respond(data);
      } catch {
        // a closed connection: the controller counts this agent out
      }
    },
  });
}
