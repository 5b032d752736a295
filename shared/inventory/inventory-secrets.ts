/** Values of inventory variables whose names mark them secret (ansible_password, …): masked like secret globals. */
import { isSecretName } from '../taskfile/keys.js';
import type { Inventory } from './model.js';

export function inventorySecrets(inventory: Inventory | undefined): string[] {
  if (!inventory) return [];
  const out = new Set<string>();
  const scan = (vars: Map<string, { value: string }>): void => {
    for (const [name, v] of vars) if (isSecretName(name) && v.value.length > 0) out.add(v.value);
  };
  for (const g of inventory.groups.values()) scan(g.vars);
  for (const h of inventory.hosts.values()) scan(h.vars);
  return [...out];
}
