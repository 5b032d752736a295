/**
 * The placeholders a `hostnames=` sub-task sees of its host: `@HOST@` (the name as listed),
 * `@HOST_ADDRESS@` (ansible_host, else the name) and `@HOST_VAR_name@` (the host's inventory
 * variable `name`, after precedence). They fit the `@NAME@` syntax of every other placeholder.
 */
import { connectionOfHost, varsOfHost } from './host-vars.js';
import type { Inventory } from './model.js';

export const HOST_PLACEHOLDER = /^HOST(?:_ADDRESS|_VAR_([A-Za-z_][A-Za-z0-9_]*))?$/;
export const HOST_VAR_PREFIX = 'HOST_VAR_';

export function isHostPlaceholder(name: string): boolean {
  return HOST_PLACEHOLDER.test(name);
}

/** Every host placeholder's value for `hostName` (a name the inventory does not know has no vars). */
export function hostPlaceholders(inventory: Inventory | undefined, hostName: string): Map<string, string> {
  const out = new Map<string, string>([['HOST', hostName]]);
  const conn = inventory ? connectionOfHost(inventory, hostName) : undefined;
  out.set('HOST_ADDRESS', conn?.address ?? hostName);
  const vars = inventory ? varsOfHost(inventory, hostName) : undefined;
  for (const [k, v] of vars ?? []) out.set(`${HOST_VAR_PREFIX}${k}`, v);
  return out;
}
