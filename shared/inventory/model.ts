/** The inventory as tasker uses it: hosts, groups and their variables, as Ansible defines them. */

/** A variable's value as placeholders see it (text); `line`/`col` say where it was defined. */
export interface InventoryVar {
  value: string;
  line: number;
  col: number;
}

export interface InventoryHost {
  name: string;
  /** Where the host is first named (for diagnostics). */
  line: number;
  col: number;
  /** The host's own vars (host line, `hosts: {name: {…}}`, or a `host:port` suffix as ansible_port). */
  vars: Map<string, InventoryVar>;
  /** Groups the host is listed in directly (never `all`; `ungrouped` when in no other group). */
  groups: Set<string>;
}

export interface InventoryGroup {
  name: string;
  line: number;
  col: number;
  vars: Map<string, InventoryVar>;
  children: Set<string>;
  parents: Set<string>;
  /** Hosts listed in the group itself (not through children). */
  hosts: Set<string>;
  /** Longest path from `all` (all = 0), as Ansible's Group.depth: it orders variable precedence. */
  depth: number;
}

export interface Inventory {
  /** The file it was read from (for messages). */
  source: string;
  format: 'yaml' | 'ini';
  /** Hosts in the order they first appear. */
  hosts: Map<string, InventoryHost>;
  /** Groups, `all` and `ungrouped` included. */
  groups: Map<string, InventoryGroup>;
}

/** How a host is reached: ansible_host (else its name), ansible_port and ansible_user when set. */
export interface HostConnection {
  name: string;
  address: string;
  port?: number;
  user?: string;
}
