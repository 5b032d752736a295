import { resolveExecType, type ExecType, type ExecTypeRegistry } from '../exec/index.js';
import type { HostValidationConfig } from '../config/index.js';
import { resolveHost } from './resolve-host.js';
import { pingHost } from './ping-host.js';
import { testConnectivity } from './connectivity-test.js';
import { formatHostAddress, parseHostAddress } from './host-address.js';

export interface HostTarget {
  taskId: number;
  hostname: string;
  execType: string;
  /** Where the host is reached when that is not its name (an inventory host's ansible_host). */
  address?: string;
}

/** `address`: the hostname is not `[user@]host[:port]` (see parseHostAddress). */
export type HostStage = 'address' | 'dns' | 'resolver' | 'ping' | 'connectivity';

export interface HostProblem {
  hostname: string;
  /** The address checked, when it is not the hostname. */
  address?: string;
  /** Every task that uses this host (for `connectivity`: with the failing exec type). */
  taskIds: number[];
  stage: HostStage;
  message: string;
}

export interface ValidateHostsOptions {
  registry: ExecTypeRegistry;
  hostValidation: HostValidationConfig;
  /** `-c`: also run each exec type's connectivity test against each of its hosts. */
  checkConnectivity: boolean;
  env: NodeJS.ProcessEnv;
  /** Overrides every connectivity test's own timeout (the peer's VALIDATION_TEST_TIMEOUT). */
  timeoutMs?: number;
  /** Hosts checked at the same time. Default 16. */
  concurrency?: number;
}

export interface HostValidationResult {
  ok: boolean;
  /** In the order hosts first appear in `targets`. */
  problems: HostProblem[];
  /** hostname → FQDN for hosts found only by the fallback resolver; tasks should run against the FQDN. */
  fqdn: Map<string, string>;
}

interface HostGroup {
  hostname: string;
  address: string;
  taskIds: number[];
  /** exec type name → its tasks on this host. */
  types: Map<string, { type: ExecType; taskIds: number[] }>;
}

/**
 * Check every host a remote task runs on (exec types other than `local`/`shell`), on its host part
 * (`ops@web01:2222` → web01, see parseHostAddress): it resolves
 * (/etc/hosts, DNS, then the configured fallback resolver), answers ping (unless
 * `host_validation.ping: false`), and with `checkConnectivity` passes each exec type's
 * connectivity test. Each host stops at its first failing stage. Never throws.
 */
export async function validateHosts(targets: readonly HostTarget[], opts: ValidateHostsOptions): Promise<HostValidationResult> {
  const groups = groupTargets(targets, opts.registry);
  const problems: HostProblem[][] = groups.map(() => []);
  const fqdn = new Map<string, string>();
  await forEachLimited(groups, opts.concurrency ?? 16, async (group, index) => {
    problems[index] = await checkHost(group, opts, fqdn);
  });
  const flat = problems.flat();
  return { ok: flat.length === 0, problems: flat, fqdn };
}

function groupTargets(targets: readonly HostTarget[], registry: ExecTypeRegistry): HostGroup[] {
  const byHost = new Map<string, HostGroup>();
  for (const t of targets) {
    const type = resolveExecType(registry, t.execType);
    // Unknown types are the task-file validator's business; only known host-bound types are checked here.
    if (!type || !type.usesHost) continue;
    const hostname = t.hostname.trim();
    let group = byHost.get(hostname);
    if (!group) byHost.set(hostname, (group = { hostname, address: t.address?.trim() || hostname, taskIds: [], types: new Map() }));
    if (!group.taskIds.includes(t.taskId)) group.taskIds.push(t.taskId);
    let entry = group.types.get(type.name);
    if (!entry) group.types.set(type.name, (entry = { type, taskIds: [] }));
    if (!entry.taskIds.includes(t.taskId)) entry.taskIds.push(t.taskId);
  }
  return [...byHost.values()];
}

async function checkHost(group: HostGroup, opts: ValidateHostsOptions, fqdn: Map<string, string>): Promise<HostProblem[]> {
  const { hostname, address, taskIds } = group;
  const hv = opts.hostValidation;
  const problem = (stage: HostStage, message: string, ids = taskIds): HostProblem => ({ hostname, ...(address !== hostname ? { address } : {}), taskIds: ids, stage, message });
  try {
    if (hostname === '') {
      const types = [...group.types.keys()].join(', ');
      return [problem('dns', `exec type ${types} needs a hostname, and none is given`)];
    }
    // `ops@web01:2222`: DNS and ping look at web01; the connectivity test gets the text as written.
    // An inventory host is checked at its address (ansible_host).
    const parsed = parseHostAddress(address);
    if (!parsed.ok) return [problem('address', parsed.message)];
    const host = parsed.address.host;
    const resolved = await resolveHost(host, {
      dnsTimeoutMs: hv.dnsTimeoutSec * 1000,
      resolverTimeoutMs: hv.resolverTimeoutSec * 1000,
      env: opts.env,
      ...(hv.resolverCommand ? { resolverCommand: hv.resolverCommand } : {}),
    });
    if (!resolved.ok) return [problem(resolved.stage, resolved.message)];
    const target = resolved.fqdn ? formatHostAddress({ ...parsed.address, host: resolved.fqdn }) : address;
    if (resolved.fqdn) fqdn.set(hostname, target);

    if (hv.ping) {
      const why = await pingHost(resolved.fqdn ?? host, hv.pingTimeoutSec * 1000, opts.env);
      if (why) return [problem('ping', why)];
    }
    if (!opts.checkConnectivity) return [];
    const found: HostProblem[] = [];
    for (const { type, taskIds: typeTasks } of group.types.values()) {
      const why = await testConnectivity(type, target, opts.env, opts.timeoutMs);
      if (why) found.push(problem('connectivity', why, typeTasks));
    }
    return found;
  } catch (err) {
    // Defensive: every step above reports instead of throwing; keep that promise if one does not.
    return [problem('dns', `host check failed: ${(err as Error).message}`)];
  }
}

/** Run `fn` over `items` with at most `limit` in flight. */
async function forEachLimited<T>(items: readonly T[], limit: number, fn: (item: T, index: number) => Promise<void>): Promise<void> {
  let next = 0;
  const worker = async () => {
    while (next < items.length) {
      const i = next++;
      await fn(items[i]!, i);
    }
  };
  await Promise.all(Array.from({ length: Math.max(1, Math.min(limit, items.length)) }, worker));
}

/** One readable line: `host web01 (tasks 1, 3): ping: 'web01' does not answer ping (exit 1)`. */
export function formatHostProblem(p: HostProblem): string {
  const tasks = p.taskIds.length === 1 ? `task ${p.taskIds[0]}` : `tasks ${p.taskIds.join(', ')}`;
  const at = p.address ? ` at ${p.address}` : '';
  return `host ${p.hostname || "''"}${at} (${tasks}): ${p.stage}: ${p.message}`;
}
