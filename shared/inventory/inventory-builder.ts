/**
 * Collects groups, hosts and vars while a parser reads an inventory, then completes it as Ansible
 * does: every group is a descendant of `all`, hosts in no group go to `ungrouped`, group depths
 * (for variable precedence) are the longest path from `all`. Cycles in `children` are errors.
 */
import type { Diagnostic } from '../taskfile/diagnostics.js';
import type { Inventory, InventoryGroup, InventoryHost, InventoryVar } from './model.js';

const GROUP_NAME = /^[A-Za-z0-9_][A-Za-z0-9_.-]*$/;
const VAR_NAME = /^[A-Za-z_][A-Za-z0-9_]*$/;
const ADDRESS = /^(?:[A-Za-z0-9_][A-Za-z0-9_.-]*|[0-9A-Fa-f:.]*:[0-9A-Fa-f:.]*)$/;
const USER = /^[A-Za-z0-9_][A-Za-z0-9_.-]*$/;

export interface Position {
  line: number;
  col: number;
  length?: number;
}

export class InventoryBuilder {
  readonly diagnostics: Diagnostic[] = [];
  private readonly hosts = new Map<string, InventoryHost>();
  private readonly groups = new Map<string, InventoryGroup>();

  constructor(private readonly source: string, private readonly format: Inventory['format']) {
    this.group('all', { line: 1, col: 1 });
    this.group('ungrouped', { line: 1, col: 1 });
  }

  error(code: string, message: string, at: Position, hint?: string): void {
    this.diagnostics.push({ code, severity: 'error', message, line: at.line, col: at.col, length: at.length ?? 1, hint });
  }

  warn(code: string, message: string, at: Position, hint?: string): void {
    this.diagnostics.push({ code, severity: 'warning', message, line: at.line, col: at.col, length: at.length ?? 1, hint });
  }

  /** The group, created on first mention; undefined (with an error) for an invalid name. */
  group(name: string, at: Position): InventoryGroup | undefined {
    const known = this.groups.get(name);
    if (known) return known;
    if (!GROUP_NAME.test(name)) {
      this.error('INVALID_GROUP_NAME', `'${name}' is not a valid group name`, { ...at, length: Math.max(1, name.length) }, 'use letters, digits, _, - and .');
      return undefined;
    }
    const g: InventoryGroup = { name, line: at.line, col: at.col, vars: new Map(), children: new Set(), parents: new Set(), hosts: new Set(), depth: 0 };
    this.groups.set(name, g);
    return g;
  }

  /** Make `childName` a child of `parent`; the child group, or undefined (with an error) when it cannot be one. */
  addChild(parent: InventoryGroup, childName: string, at: Position): InventoryGroup | undefined {
    if (childName === 'all') {
      this.error('ALL_AS_CHILD', `group 'all' cannot be a child of '${parent.name}'`, { ...at, length: 3 });
      return undefined;
    }
    if (childName === parent.name) {
      this.error('GROUP_CYCLE', `group '${parent.name}' lists itself as a child`, { ...at, length: childName.length });
      return undefined;
    }
    const child = this.group(childName, at);
    if (!child) return undefined;
    parent.children.add(child.name);
    child.parents.add(parent.name);
    return child;
  }

  /** The host, created on first mention, and listed in `group` (unless that is `all`). */
  addHost(group: InventoryGroup, name: string, at: Position): InventoryHost {
    let host = this.hosts.get(name);
    if (!host) {
      host = { name, line: at.line, col: at.col, vars: new Map(), groups: new Set() };
      this.hosts.set(name, host);
    }
    if (group.name !== 'all') {
      group.hosts.add(name);
      host.groups.add(group.name);
    }
    return host;
  }

  setVar(vars: Map<string, InventoryVar>, name: string, value: string, at: Position): void {
    if (!VAR_NAME.test(name)) {
      this.error('INVALID_VAR_NAME', `'${name}' is not a valid variable name`, { ...at, length: Math.max(1, name.length) }, 'a variable name is letters, digits and _, not starting with a digit');
      return;
    }
    vars.set(name, { value, line: at.line, col: at.col });
    this.checkConnectionVar(name, value, at);
  }

  /** ansible_host/port/user must be usable where they are defined, whichever host inherits them. */
  private checkConnectionVar(name: string, value: string, at: Position): void {
    const key = name.replace(/^ansible_ssh_/, 'ansible_');
    if (key === 'ansible_port' && !(/^\d+$/.test(value) && Number(value) >= 1 && Number(value) <= 65535)) {
      this.error('INVALID_PORT', `${name}: '${value}' is not a port number from 1 to 65535`, at);
    } else if (key === 'ansible_host' && !ADDRESS.test(value)) {
      this.error('INVALID_ADDRESS', `${name}: '${value}' is not a host name or IP address`, at);
    } else if (key === 'ansible_user' && !USER.test(value)) {
      this.error('INVALID_USER', `${name}: '${value}' is not a user name`, at);
    }
  }

  finish(): { inventory: Inventory; diagnostics: Diagnostic[] } {
    const all = this.groups.get('all')!;
    const ungrouped = this.groups.get('ungrouped')!;
    for (const g of this.groups.values()) {
      if (g.name !== 'all' && g.parents.size === 0) {
        g.parents.add('all');
        all.children.add(g.name);
      }
    }
    for (const h of this.hosts.values()) {
      if (h.groups.size === 0) {
        h.groups.add('ungrouped');
        ungrouped.hosts.add(h.name);
      }
    }
    this.computeDepths();
    return { inventory: { source: this.source, format: this.format, hosts: this.hosts, groups: this.groups }, diagnostics: this.diagnostics };
  }

  /** Longest path from `all`; a group met again on its own path is a cycle. */
  private computeDepths(): void {
    const visiting = new Set<string>();
    const reported = new Set<string>();
    const visit = (g: InventoryGroup, depth: number): void => {
      if (visiting.has(g.name)) {
        if (!reported.has(g.name)) {
          reported.add(g.name);
          this.error('GROUP_CYCLE', `group '${g.name}' is its own ancestor through children`, { line: g.line, col: g.col, length: g.name.length });
        }
        return;
      }
      if (depth <= g.depth && g.name !== 'all') return;
      g.depth = depth;
      visiting.add(g.name);
      for (const c of g.children) visit(this.groups.get(c)!, depth + 1);
      visiting.delete(g.name);
    };
    visit(this.groups.get('all')!, 0);
    // Groups in a cycle that never reaches `all` have no parent-less member: report them too.
    for (const g of this.groups.values()) if (g.name !== 'all' && g.depth === 0 && !reported.has(g.name)) visit(g, 1);
  }
}
