/**
 * Ansible's INI inventory, read line by line as Ansible's own INI plugin does: `[group]` lists
 * hosts (a pattern, then `key=value` vars split like a POSIX shell), `[group:vars]` lists
 * `key=value`, `[group:children]` lists groups; hosts before any section are `ungrouped`. Not plain
 * INI, so not a generic INI library (docs/inventory.md says why): host lines are split by the
 * project's POSIX splitter (Ansible uses Python's shlex for the same), and every problem gets its
 * line and column.
 */
import { splitArgs } from '../exec/index.js';
import type { Diagnostic } from '../taskfile/diagnostics.js';
import { expandHostPattern } from './host-pattern.js';
import { InventoryBuilder } from './inventory-builder.js';
import type { Inventory, InventoryGroup } from './model.js';

const SECTION = /^\[([^:\]\s]+)(?::([^\]\s]*))?\]\s*(?:[#;].*)?$/;
const KINDS = ['hosts', 'vars', 'children'] as const;
type Kind = (typeof KINDS)[number];

/** Parse INI inventory text; never throws, every problem is a positioned diagnostic. */
export function parseIniInventory(text: string, source: string): { inventory: Inventory; diagnostics: Diagnostic[] } {
  const b = new InventoryBuilder(source, 'ini');
  let group: InventoryGroup | undefined = b.group('ungrouped', { line: 1, col: 1 });
  let kind: Kind = 'hosts';
  /** `[g:vars]` sections: the group must be defined somewhere in the file (as Ansible requires). */
  const varsSections: { name: string; line: number }[] = [];
  const defined = new Set<string>(['all', 'ungrouped']);
  const lines = text.split(/\r?\n/);
  for (let i = 0; i < lines.length; i++) {
    const raw = lines[i]!;
    const lineNo = i + 1;
    const indent = raw.length - raw.trimStart().length;
    const line = raw.trim();
    if (line === '' || line.startsWith('#') || line.startsWith(';')) continue;
    // As Ansible: a line in brackets is a section header; `[2001:db8::1]:22` is a host.
    const m = line.startsWith('[') ? SECTION.exec(line) : null;
    if (m || (line.startsWith('[') && stripComment(line).trimEnd().endsWith(']'))) {
      if (!m) {
        b.error('INI_SYNTAX', `'${clip(line)}' is not a section header`, { line: lineNo, col: indent + 1, length: line.length }, 'write [group], [group:vars] or [group:children]');
        group = undefined;
        continue;
      }
      const tag = m[2] ?? 'hosts';
      if (!(KINDS as readonly string[]).includes(tag)) {
        b.error('UNKNOWN_SECTION_TYPE', `section [${m[1]}:${tag}] has an unknown type '${tag}'`, { line: lineNo, col: indent + m[1]!.length + 3, length: Math.max(1, tag.length) }, 'the types are :vars and :children');
        group = undefined;
        continue;
      }
      kind = tag as Kind;
      group = b.group(m[1]!, { line: lineNo, col: indent + 2, length: m[1]!.length });
      if (kind === 'vars') varsSections.push({ name: m[1]!, line: lineNo });
      else defined.add(m[1]!);
      continue;
    }
    if (!group) continue; // the section header was already reported
    const at = { line: lineNo, col: indent + 1 };
    if (kind === 'hosts') readHostLine(b, group, line, at);
    else if (kind === 'children') {
      const name = stripComment(line).trim();
      if (/\s/.test(name)) b.error('INI_SYNTAX', `'${clip(name)}' is not a group name: a [${group.name}:children] line names one group`, { ...at, length: line.length });
      else {
        b.addChild(group, name, { ...at, length: name.length });
        defined.add(name);
      }
    } else readVarLine(b, group, line, at);
  }
  for (const s of varsSections) {
    if (!defined.has(s.name)) b.error('UNDEFINED_GROUP', `section [${s.name}:vars] is for group '${s.name}', which the inventory does not define`, { line: s.line, col: 2, length: s.name.length }, `add a [${s.name}] section or list it under a :children section`);
  }
  return b.finish();
}

/** `pattern key=value …`; `#` outside quotes starts a comment (Python's shlex with comments, as Ansible). */
function readHostLine(b: InventoryBuilder, group: InventoryGroup, line: string, at: { line: number; col: number }): void {
  const text = stripComment(line);
  const split = splitArgs(text);
  if (split.error) {
    const col = Number(/column (\d+)/.exec(split.error)?.[1] ?? 1);
    b.error('INI_SYNTAX', split.error.replace(/ (starting )?at column \d+/, ''), { line: at.line, col: at.col + col - 1 });
    return;
  }
  const [pattern, ...assignments] = split.args;
  if (pattern === undefined) return;
  const expanded = expandHostPattern(pattern);
  if (!expanded.ok) {
    b.error('INVALID_HOST_PATTERN', expanded.message, { line: at.line, col: at.col + expanded.offset, length: expanded.length });
    return;
  }
  const vars: { key: string; value: string; col: number }[] = [];
  let cursor = pattern.length;
  for (const a of assignments) {
    const found = text.indexOf(a.split('=')[0]!, cursor);
    const col = at.col + Math.max(cursor, found);
    if (found >= 0) cursor = found + 1;
    const eq = a.indexOf('=');
    if (eq <= 0) {
      b.error('EXPECTED_KEY_VALUE', `host '${pattern}': expected key=value after the host name, got '${clip(a)}'`, { line: at.line, col, length: Math.max(1, a.length) }, 'host variables are written name=value, e.g. ansible_port=2222');
      continue;
    }
    vars.push({ key: a.slice(0, eq), value: a.slice(eq + 1), col });
  }
  for (const name of expanded.names) {
    const host = b.addHost(group, name, { line: at.line, col: at.col, length: pattern.length });
    if (expanded.port !== undefined) host.vars.set('ansible_port', { value: String(expanded.port), line: at.line, col: at.col });
    for (const v of vars) b.setVar(host.vars, v.key, v.value, { line: at.line, col: v.col, length: v.key.length });
  }
}

/** `key=value` in a :vars section; a quoted value loses its quotes (Ansible evaluates it as a literal). */
function readVarLine(b: InventoryBuilder, group: InventoryGroup, line: string, at: { line: number; col: number }): void {
  const text = stripComment(line);
  const eq = text.indexOf('=');
  if (eq <= 0) {
    b.error('EXPECTED_KEY_VALUE', `[${group.name}:vars]: expected key=value, got '${clip(text.trim())}'`, { ...at, length: line.length });
    return;
  }
  const key = text.slice(0, eq).trim();
  let value = text.slice(eq + 1).trim();
  const q = /^(['"])(.*)\1$/s.exec(value);
  if (q) value = q[2]!;
  b.setVar(group.vars, key, value, { ...at, length: key.length });
}

/** The text before a `#` that is outside quotes and starts a word or follows a blank. */
function stripComment(line: string): string {
  let quote: string | undefined;
  for (let i = 0; i < line.length; i++) {
    const c = line[i]!;
    if (quote) {
      if (c === '\\' && quote === '"') i++;
      else if (c === quote) quote = undefined;
    } else if (c === '\\') i++;
    else if (c === '"' || c === "'") quote = c;
    else if (c === '#' && (i === 0 || /\s/.test(line[i - 1]!))) return line.slice(0, i);
  }
  return line;
}

function clip(text: string): string {
  return text.length > 80 ? `${text.slice(0, 77)}…` : text;
}
