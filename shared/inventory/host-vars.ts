/**
 * What a host sees of the inventory, with Ansible's precedence: `all`'s vars, then every other
 * group of the host from the shallowest to the deepest (a child group over its parents; at equal
 * depth `ansible_group_priority`, then the group name, the later winning), then the host's own vars.
 */
import type { HostConnection, Inventory, InventoryGroup } from './model.js';

/** Every group the host belongs to, directly or through children, `all` included. */
export function groupsOfHost(inv: Inventory, hostName: string): InventoryGroup[] {
  const host = inv.hosts.get(hostName);
  if (!host) return [];
  const seen = new Map<string, InventoryGroup>();
  const stack = [...host.groups, 'all'];
  while (stack.length > 0) {
    const name = stack.pop()!;
    const g = inv.groups.get(name);
    if (!g || seen.has(name)) continue;
    seen.set(name, g);
    stack.push(...g.parents);
  }
  return [...seen.values()];
}

/** The host's variables as text, after precedence; undefined for a host the inventory does not have. */
export function varsOfHost(inv: Inventory, hostName: string): Map<string, string> | undefined {
  const host = inv.hosts.get(hostName);
  if (!host) return undefined;
  const ordered = groupsOfHost(inv, hostName).sort((a, b) => a.depth - b.depth || priority(a) - priority(b) || (a.name < b.name ? -1 : a.name > b.name ? 1 : 0));
  const out = new Map<string, string>();
  for (const g of ordered) for (const [k, v] of g.vars) out.set(k, v.value);
  for (const [k, v] of host.vars) out.set(k, v.value);
  return out;
}

function priority(g: InventoryGroup): number {
  const p = Number(g.vars.get('ansible_group_priority')?.value ?? 1);
  return Number.isFinite(p) ? p : 1;
}

/** How to reach a host: ansible_host/ansible_port/ansible_user (or their old ansible_ssh_* names). */
export function connectionOfHost(inv: Inventory, hostName: string): HostConnection | undefined {
  const vars = varsOfHost(inv, hostName);
  if (!vars) return undefined;
  const pick = (key: string): string | undefined => vars.get(`ansible_${key}`) ?? vars.get(`ansible_ssh_${key}`);
  const conn: HostConnection = { name: hostName, address: pick('host') ?? hostName };
  const port = pick('port');
  if (port !== undefined && /^\d+$/.test(port)) conn.port = Number(port);
  const user = pick('user');
  if (user) conn.user = user;
  return conn;
}

/**
 * The host text an executor gets for an inventory host: for `ssh`, `[user@]address[:port]` (IPv6
 * in brackets when a port follows); for every other exec type the address alone (a privilege
 * wrapper's `-h HOST` has no port or user). Names the inventory does not know are returned as given.
 */
export function connectionTarget(inv: Inventory | undefined, hostName: string, execType: string): string {
  const conn = inv ? connectionOfHost(inv, hostName) : undefined;
  if (!conn) return hostName;
  if (execType !== 'ssh') return conn.address;
  const host = conn.port !== undefined && conn.address.includes(':') ? `[${conn.address}]` : conn.address;
  return `${conn.user ? `${conn.user}@` : ''}${host}${conn.port !== undefined ? `:${conn.port}` : ''}`;
}

/** Hosts of a group and of all its descendants, each once: the group's own first, then each child's. */
export function hostsOfGroup(inv: Inventory, groupName: string): string[] {
  if (groupName === 'all') return [...inv.hosts.keys()];
  const out = new Set<string>();
  const seen = new Set<string>();
  const visit = (name: string): void => {
    const g = inv.groups.get(name);
    if (!g || seen.has(name)) return;
    seen.add(name);
    for (const h of g.hosts) out.add(h);
    for (const c of g.children) visit(c);
  };
  visit(groupName);
  return [...out];
}
