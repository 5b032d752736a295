/**
 * The host list of a `hostnames=` block: comma-separated terms, each a host name or `@group`,
 * and exclusions `!name` / `!@group`. The selection is the included hosts in the order named (a
 * group's hosts in inventory order; a host once, except that a plain name written twice runs twice,
 * as the peer's plain lists do), minus every excluded host, wherever the exclusion is written (as
 * Ansible's `!` patterns).
 */
import { suggest } from '../taskfile/diagnostics.js';
import { hostsOfGroup } from './host-vars.js';
import type { Inventory } from './model.js';

export interface SelectionProblem {
  code: 'INVENTORY_REQUIRED' | 'UNKNOWN_GROUP' | 'EMPTY_TERM' | 'NOT_SELECTED';
  severity: 'error' | 'warning';
  message: string;
  hint?: string;
  /** Offset and length in the `hostnames=` text. */
  offset: number;
  length: number;
}

export interface HostSelection {
  hosts: string[];
  /** Plain names as written (not from a group), with their offsets, for the caller's name checks. */
  literals: { name: string; offset: number }[];
  /** Whether any term named a group. */
  usesGroups: boolean;
  problems: SelectionProblem[];
}

/** Select hosts from `text` (the value of `hostnames=`); `inventory` is undefined when none was given. */
export function selectHosts(text: string, inventory: Inventory | undefined): HostSelection {
  const included: string[] = [];
  const seen = new Set<string>();
  const fromGroups = new Set<string>();
  const excluded: { name: string; offset: number; length: number }[] = [];
  const literals: HostSelection['literals'] = [];
  const problems: SelectionProblem[] = [];
  let usesGroups = false;
  let offset = 0;
  const parts = text.split(',');
  for (let i = 0; i < parts.length; i++) {
    const part = parts[i]!;
    const lead = part.length - part.trimStart().length;
    const term = part.trim();
    const at = offset + lead;
    offset += part.length + 1;
    if (term === '') {
      if (parts.length > 1 && i < parts.length - 1) problems.push({ code: 'EMPTY_TERM', severity: 'warning', message: 'an empty entry between commas is ignored', offset: at, length: 1 });
      continue;
    }
    const negated = term.startsWith('!');
    const body = negated ? term.slice(1).trimStart() : term;
    const bodyAt = at + (term.length - body.length);
    let names: string[];
    if (body.startsWith('@')) {
      usesGroups = true;
      const group = body.slice(1);
      if (!inventory) {
        problems.push({ code: 'INVENTORY_REQUIRED', severity: 'error', message: `'${body}' names an inventory group, but no inventory is given`, hint: 'pass --inventory FILE or set inventory: in the config', offset: bodyAt, length: body.length });
        continue;
      }
      if (!inventory.groups.has(group)) {
        const near = suggest(group, inventory.groups.keys());
        problems.push({
          code: 'UNKNOWN_GROUP', severity: 'error', message: `group '${group}' is not in the inventory ${inventory.source}`,
          hint: near ? `did you mean '@${near}'?` : `groups: ${[...inventory.groups.keys()].slice(0, 20).join(', ')}`, offset: bodyAt, length: body.length,
        });
        continue;
      }
      names = hostsOfGroup(inventory, group);
    } else {
      names = [body];
      if (!negated) literals.push({ name: body, offset: bodyAt });
    }
    if (negated) for (const n of names) excluded.push({ name: n, offset: at, length: term.length });
    else if (body.startsWith('@')) {
      for (const n of names) {
        if (!seen.has(n)) included.push(n);
        fromGroups.add(n);
      }
    } else if (!fromGroups.has(body)) included.push(body);
    if (!negated) for (const n of names) seen.add(n);
  }
  for (const x of excluded) {
    if (!seen.has(x.name)) {
      problems.push({ code: 'NOT_SELECTED', severity: 'warning', message: `'${x.name}' is excluded but was not selected`, offset: x.offset, length: x.length });
    }
  }
  const out = new Set(excluded.map((x) => x.name));
  return { hosts: [...included].filter((h) => !out.has(h)), literals, usesGroups, problems: dedupe(problems) };
}

/** One NOT_SELECTED warning per exclusion term (a group excludes many hosts). */
function dedupe(problems: SelectionProblem[]): SelectionProblem[] {
  const seen = new Set<string>();
  const fromGroups = new Set<string>();
  return problems.filter((p) => {
    const key = `${p.code}:${p.offset}`;
    if (p.code !== 'NOT_SELECTED') return true;
    if (seen.has(key)) return false;
    seen.add(key);
    return true;
  });
}
