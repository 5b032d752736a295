/** Ansible inventories (YAML and INI): the model, the parsers, host selection and host placeholders. */
export type { HostConnection, Inventory, InventoryGroup, InventoryHost, InventoryVar } from './model.js';
export { expandHostPattern, MAX_HOSTS_PER_PATTERN } from './host-pattern.js';
export { parseYamlInventory } from './parse-yaml-inventory.js';
export { parseIniInventory } from './parse-ini-inventory.js';
export { loadInventory, inventoryFormat, parseInventoryText, type LoadedInventory } from './load-inventory.js';
export { connectionOfHost, connectionTarget, groupsOfHost, hostsOfGroup, varsOfHost } from './host-vars.js';
export { selectHosts, type HostSelection, type SelectionProblem } from './select-hosts.js';
export { hostPlaceholders, isHostPlaceholder, HOST_PLACEHOLDER, HOST_VAR_PREFIX } from './host-placeholders.js';
export { inventorySecrets } from './inventory-secrets.js';
