/** The host recap at the end of a `tasker` run, and the hosts a failed pre-run check leaves unreachable. */
import { formatHostRecap, type HostTallies } from '../../shared/hosts/index.js';
import type { Task } from '../../shared/taskfile/model.js';
import type { RunLog } from '../engine/run-log.js';
import type { RunOutcome } from '../engine/types.js';

/** Print the recap (console and log) when the run touched more than one host. */
export function logHostRecap(log: RunLog, tallies: HostTallies): void {
  if (Object.keys(tallies).length < 2) return;
  log.info('HOST RECAP');
  for (const line of formatHostRecap(tallies)) log.info(`  ${line}`);
}

/** The hosts of the tasks that were to run on an agent the pre-run check could not reach, each once. */
export function unreachableHostsOf(tasks: Task[], agentOf: Map<number, string>, down: Set<string>, resolve: (text: string) => string): NonNullable<RunOutcome['unreachableHosts']> {
  const seen = new Set<string>();
  const out: NonNullable<RunOutcome['unreachableHosts']> = [];
  for (const t of tasks) {
    const agent = agentOf.get(t.id);
    if (agent === undefined || !down.has(agent)) continue;
    for (const raw of t.hostnames ?? [t.hostname]) {
      const host = resolve(raw).trim() || 'localhost';
      if (seen.has(`${host}|${agent}`)) continue;
      seen.add(`${host}|${agent}`);
      out.push({ host, ranOn: `agent:${agent}` });
    }
  }
  return out;
}
