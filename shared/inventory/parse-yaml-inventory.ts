/**
 * Ansible's YAML inventory (also JSON): a mapping of group names, each with optional `hosts`
 * (host pattern → host vars), `vars` and `children` (group name → the same shape). Read with the
 * `yaml` package, whose nodes keep offsets; a LineCounter turns them into line:column.
 */
import type { Document, LineCounter, Node as YamlNode, Pair } from 'yaml';
import { loadYaml } from '../config/index.js';
import type { Diagnostic } from '../taskfile/diagnostics.js';
import { suggest } from '../taskfile/diagnostics.js';
import { findExcessiveNesting, MAX_FLOW_DEPTH } from './flow-depth.js';
import { expandHostPattern } from './host-pattern.js';
import { InventoryBuilder } from './inventory-builder.js';
import type { Position } from './inventory-builder.js';
import type { Inventory, InventoryGroup, InventoryVar } from './model.js';

const GROUP_KEYS = ['hosts', 'vars', 'children'];

/** Parse YAML inventory text; never throws, every problem is a positioned diagnostic. */
export function parseYamlInventory(text: string, source: string): { inventory: Inventory; diagnostics: Diagnostic[] } {
  const yaml = loadYaml();
  const lineCounter = new yaml.LineCounter();
  const b = new InventoryBuilder(source, 'yaml');
  const tooDeep = findExcessiveNesting(text);
  if (tooDeep >= 0) {
    const pos = positionOf(text, tooDeep);
    b.error('NESTING_TOO_DEEP', `the inventory nests more than ${MAX_FLOW_DEPTH} levels of { or [`, { ...pos, length: 1 }, 'an inventory needs a few levels of groups');
    return b.finish();
  }
  // Duplicate keys are found by YamlReader with a set (a warning, as Ansible): the library's
  // uniqueKeys check compares every key of a mapping with every other, and would make them errors.
  const doc = yaml.parseDocument(text, { lineCounter, prettyErrors: false, uniqueKeys: false });
  for (const e of [...doc.errors, ...doc.warnings]) {
    const pos = lineCounter.linePos(e.pos[0]);
    const at = { line: pos.line, col: pos.col, length: Math.max(1, e.pos[1] - e.pos[0]) };
    const message = e.message.split('\n')[0]!;
    if (e.name === 'YAMLWarning') b.warn('YAML_WARNING', message, at);
    else b.error('YAML_SYNTAX', message, at);
  }
  if (doc.errors.length > 0) return b.finish();
  new YamlReader(yaml, doc, lineCounter, b).readTop(doc.contents);
  return b.finish();
}

class YamlReader {
  constructor(
    private readonly yaml: ReturnType<typeof loadYaml>,
    private readonly doc: Document,
    private readonly lines: LineCounter,
    private readonly b: InventoryBuilder,
  ) {}

  private at(node: unknown, length?: number): Position {
    const range = (node as { range?: [number, number, number] } | null)?.range;
    const offset = range?.[0] ?? 0;
    const pos = this.lines.linePos(offset);
    return { line: pos.line, col: pos.col, length: length ?? Math.max(1, (range?.[1] ?? offset + 1) - offset) };
  }

  /** An alias stands for the node it names. */
  private deref(node: unknown): unknown {
    return this.yaml.isAlias(node) ? node.resolve(this.doc) : node;
  }

  private isNull(node: unknown): boolean {
    return node === null || node === undefined || (this.yaml.isScalar(node) && node.value === null);
  }

  private keyText(pair: Pair): string {
    const key = this.deref(pair.key);
    return this.yaml.isScalar(key) ? String(key.value ?? '') : String(key);
  }

  /** The pairs of a mapping, or an error naming what was expected. */
  private pairs(node: unknown, what: string): Pair[] | undefined {
    const n = this.deref(node);
    if (this.isNull(n)) return [];
    if (!this.yaml.isMap(n)) {
      this.b.error('NOT_A_MAPPING', `${what} must be a mapping`, this.at(n ?? node));
      return undefined;
    }
    const items = n.items as Pair[];
    const seen = new Set<string>();
    for (const pair of items) {
      const key = this.keyText(pair);
      if (seen.has(key)) this.b.warn('DUPLICATE_KEY', `${what}: '${key}' is given more than once; the last one wins (as in Ansible)`, this.at(pair.key, key.length));
      seen.add(key);
    }
    return items;
  }

  readTop(contents: unknown): void {
    if (this.isNull(contents)) {
      this.b.warn('EMPTY_INVENTORY', 'the inventory defines no groups and no hosts', { line: 1, col: 1 });
      return;
    }
    const top = this.pairs(contents, 'the top level of a YAML inventory (group name → hosts/vars/children)');
    for (const pair of top ?? []) {
      const name = this.keyText(pair);
      const group = this.b.group(name, this.at(pair.key, name.length));
      if (group) this.readGroup(group, pair.value);
    }
  }

  private readGroup(group: InventoryGroup, node: unknown): void {
    const items = this.pairs(node, `group '${group.name}'`);
    for (const pair of items ?? []) {
      const key = this.keyText(pair);
      const keyAt = this.at(pair.key, key.length);
      if (key === 'hosts') this.readHosts(group, pair.value);
      else if (key === 'vars') this.readVars(group.vars, pair.value, `vars of group '${group.name}'`);
      else if (key === 'children') this.readChildren(group, pair.value);
      else {
        const near = suggest(key, GROUP_KEYS);
        this.b.error('UNKNOWN_GROUP_KEY', `group '${group.name}': '${key}' is not a group key (hosts, vars, children)`, keyAt,
          near ? `did you mean '${near}'?` : `a host goes under 'hosts:', a variable under 'vars:'`);
      }
    }
  }

  private readHosts(group: InventoryGroup, node: unknown): void {
    const n = this.deref(node);
    if (this.yaml.isSeq(n)) {
      this.b.error('NOT_A_MAPPING', `hosts of group '${group.name}' must be a mapping (host: vars), not a list`, this.at(n), "write each host as 'name:' on its own line");
      return;
    }
    for (const pair of this.pairs(n, `hosts of group '${group.name}'`) ?? []) {
      const pattern = this.keyText(pair);
      const at = this.at(pair.key, pattern.length);
      const expanded = expandHostPattern(pattern);
      if (!expanded.ok) {
        this.b.error('INVALID_HOST_PATTERN', expanded.message, { line: at.line, col: at.col + expanded.offset, length: expanded.length });
        continue;
      }
      const vars = new Map<string, InventoryVar>();
      this.readVars(vars, pair.value, `host '${pattern}'`);
      for (const name of expanded.names) {
        const host = this.b.addHost(group, name, at);
        if (expanded.port !== undefined) host.vars.set('ansible_port', { value: String(expanded.port), line: at.line, col: at.col });
        for (const [k, v] of vars) host.vars.set(k, v);
      }
    }
  }

  private readChildren(group: InventoryGroup, node: unknown): void {
    for (const pair of this.pairs(node, `children of group '${group.name}'`) ?? []) {
      const name = this.keyText(pair);
      const at = this.at(pair.key, name.length);
      const child = this.b.addChild(group, name, at);
      if (child) this.readGroup(child, pair.value);
    }
  }

  private readVars(into: Map<string, InventoryVar>, node: unknown, what: string): void {
    for (const pair of this.pairs(node, what) ?? []) {
      const name = this.keyText(pair);
      const value = this.deref(pair.value);
      this.b.setVar(into, name, varText(this.yaml.isNode(value) ? (value as YamlNode).toJS(this.doc, { maxAliasCount: 100 }) : null), this.at(pair.key, name.length));
    }
  }
}

/** A YAML value as text: strings as written, booleans as Ansible prints them, lists and maps as JSON. */
export function varText(v: unknown): string {
  if (v === null || v === undefined) return '';
  if (typeof v === 'string') return v;
  if (typeof v === 'boolean') return v ? 'True' : 'False';
  if (typeof v === 'number' || typeof v === 'bigint') return String(v);
  try {
    return JSON.stringify(v) ?? '';
  } catch {
    return String(v);
  }
}

/** 1-based line and column of an offset (for the one error found before the YAML parser runs). */
function positionOf(text: string, offset: number): { line: number; col: number } {
  let line = 1;
  let start = 0;
  for (let i = text.indexOf('\n'); i >= 0 && i < offset; i = text.indexOf('\n', i + 1)) {
    line++;
    start = i + 1;
  }
  return { line, col: offset - start + 1 };
}
