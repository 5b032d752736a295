/**
 * Property tests: the YAML and INI parsers never throw, whatever the text (generated from a grammar
 * of plausible inventory lines plus junk), and every diagnostic points into the text.
 */
import test from 'ava';
import fc from 'fast-check';
import type { Diagnostic } from '../../../shared/taskfile/diagnostics.js';
import { formatDiagnostic } from '../../../shared/taskfile/diagnostics.js';
import { hostsOfGroup, parseIniInventory, parseInventoryText, parseYamlInventory, selectHosts, varsOfHost } from '../../../shared/inventory/index.js';

const name = fc.stringMatching(/^[a-z][a-z0-9_-]{0,6}$/);
const range = fc.tuple(fc.nat(30), fc.nat(30), fc.option(fc.integer({ min: 0, max: 4 }))).map(([a, b, s]) => `[${a}:${b}${s === null ? '' : `:${s}`}]`);
const hostPattern = fc.oneof(name, fc.tuple(name, range).map(([n, r]) => n + r), fc.tuple(name, fc.integer({ min: 0, max: 70000 })).map(([n, p]) => `${n}:${p}`), fc.constant('[::1]:22'), fc.string({ maxLength: 8 }));
const value = fc.oneof(name, fc.integer().map(String), fc.constant('"a b"'), fc.constant("'x'"), fc.string({ maxLength: 6 }));
const assignment = fc.tuple(fc.oneof(name, fc.constantFrom('ansible_host', 'ansible_port', 'ansible_user', 'bad-name')), value).map(([k, v]) => `${k}=${v}`);

const iniLine = fc.oneof(
  fc.tuple(name, fc.constantFrom('', ':vars', ':children', ':junk', ':')).map(([n, t]) => `[${n}${t}]`),
  fc.tuple(hostPattern, fc.array(assignment, { maxLength: 3 })).map(([h, a]) => [h, ...a].join(' ')),
  assignment, name, fc.constantFrom('# comment', '; comment', '', '[', ']', '"', "web01 x='"), fc.string({ maxLength: 20 }),
);

const yamlGroup: fc.Memo<unknown> = fc.memo((depth) => fc.record({
  hosts: fc.option(fc.dictionary(hostPattern, fc.option(fc.dictionary(fc.oneof(name, fc.constantFrom('ansible_port', 'ansible_host')), value, { maxKeys: 3 })), { maxKeys: 4 })),
  vars: fc.option(fc.dictionary(name, fc.oneof(value, fc.boolean(), fc.array(fc.nat(), { maxLength: 2 })), { maxKeys: 3 })),
  children: depth > 1 ? fc.option(fc.dictionary(name, yamlGroup(depth - 1), { maxKeys: 3 })) : fc.constant(null),
}, { requiredKeys: [] }));
const yamlText = fc.oneof(
  fc.dictionary(name, yamlGroup(3), { maxKeys: 4 }).map((o) => JSON.stringify(o)),
  fc.dictionary(name, yamlGroup(3), { maxKeys: 4 }).map((o) => toYaml(o, 0)),
  fc.string({ maxLength: 60 }),
);

/** A small block-style YAML writer (JSON is YAML too, but block style exercises more of the parser). */
function toYaml(v: unknown, indent: number): string {
  if (v === null || typeof v !== 'object' || Array.isArray(v)) return `${JSON.stringify(v)}\n`;
  const pad = ' '.repeat(indent);
  const entries = Object.entries(v as Record<string, unknown>);
  if (entries.length === 0) return '{}\n';
  return '\n' + entries.map(([k, x]) => `${pad}${JSON.stringify(k)}:${x !== null && typeof x === 'object' && !Array.isArray(x) ? toYaml(x, indent + 2) : ` ${JSON.stringify(x)}\n`}`).join('');
}

function checkDiagnostics(text: string, diagnostics: Diagnostic[]): void {
  const lines = text.split(/\r?\n/);
  for (const d of diagnostics) {
    if (d.line === undefined || d.line < 1 || d.line > Math.max(1, lines.length)) throw new Error(`line out of range: ${JSON.stringify(d)}`);
    if (d.col === undefined || d.col < 1) throw new Error(`col out of range: ${JSON.stringify(d)}`);
    formatDiagnostic(d, 'inv', lines);
  }
}

function useAll(inv: ReturnType<typeof parseIniInventory>['inventory']): void {
  for (const h of inv.hosts.keys()) varsOfHost(inv, h);
  for (const g of inv.groups.keys()) hostsOfGroup(inv, g);
  selectHosts([...inv.groups.keys()].map((g) => `@${g}`).join(',') + ',!x', inv);
}

test('the INI parser never throws and positions every diagnostic', (t) => {
  t.notThrows(() => fc.assert(fc.property(fc.array(iniLine, { maxLength: 25 }), (lines) => {
    const text = lines.join('\n');
    const r = parseIniInventory(text, 'inv');
    checkDiagnostics(text, r.diagnostics);
    useAll(r.inventory);
  }), { numRuns: 400 }));
});

test('the YAML parser never throws and positions every diagnostic', (t) => {
  t.notThrows(() => fc.assert(fc.property(yamlText, (text) => {
    const r = parseYamlInventory(text, 'inv');
    checkDiagnostics(text, r.diagnostics);
    useAll(r.inventory);
  }), { numRuns: 400 }));
});

test('deep nesting is a diagnostic, not a crash', (t) => {
  const depth = 20000;
  const text = `${'{"a": {"children": '.repeat(depth)}null${'}}'.repeat(depth)}`;
  const r = parseInventoryText(text, 'deep.json', 'yaml');
  t.true(r.diagnostics.some((d) => d.severity === 'error'), JSON.stringify(r.diagnostics.slice(0, 2)));
});
