/**
 * Read an inventory file and parse it as YAML or INI. The format follows Ansible's choice: `.yml`,
 * `.yaml` and `.json` are YAML, `.ini`, `.cfg` and `.hosts` are INI, and a file with another
 * name is YAML when it reads as a YAML mapping, else INI. Never throws.
 */
import { readFileSync, statSync } from 'node:fs';
import { extname } from 'node:path';
import type { Diagnostic } from '../taskfile/diagnostics.js';
import { loadYaml } from '../config/yaml.js';
import type { Inventory } from './model.js';
import { parseIniInventory } from './parse-ini-inventory.js';
import { parseYamlInventory } from './parse-yaml-inventory.js';

export type InventoryFileProblem = { kind: 'missing' | 'not-regular' | 'unreadable'; reason: string };

export interface LoadedInventory {
  inventory?: Inventory;
  diagnostics: Diagnostic[];
  /** The file could not be read at all. */
  problem?: InventoryFileProblem;
  /** The text, for source excerpts in diagnostics. */
  lines?: string[];
}

const MAX_INVENTORY_BYTES = 16 * 1024 * 1024;

/**
 * The single place an inventory file is read. When the project's bounded reader
 * (shared/input/read-bounded-file.ts) is on main, this is the call to swap for it.
 */
export function readInventoryText(path: string): { ok: true; text: string } | { ok: false; problem: InventoryFileProblem } {
  try {
    const st = statSync(path);
    if (!st.isFile()) return { ok: false, problem: { kind: 'not-regular', reason: 'is not a regular file' } };
    if (st.size > MAX_INVENTORY_BYTES) return { ok: false, problem: { kind: 'unreadable', reason: `is larger than ${MAX_INVENTORY_BYTES / 1024 / 1024} MiB` } };
    return { ok: true, text: readFileSync(path, 'utf8') };
  } catch (e) {
    const code = (e as NodeJS.ErrnoException).code;
    if (code === 'ENOENT' || code === 'ENOTDIR') return { ok: false, problem: { kind: 'missing', reason: 'does not exist' } };
    return { ok: false, problem: { kind: 'unreadable', reason: `cannot be read: ${(e as Error).message}` } };
  }
}

export function loadInventory(path: string, displayName = path): LoadedInventory {
  const read = readInventoryText(path);
  if (!read.ok) return { diagnostics: [], problem: read.problem };
  return { ...parseInventoryText(read.text, displayName, inventoryFormat(path, read.text)), lines: read.text.split(/\r?\n/) };
}

/** YAML or INI, as described at the top of this file. */
export function inventoryFormat(path: string, text: string): Inventory['format'] {
  const ext = extname(path).toLowerCase();
  if (['.yml', '.yaml', '.json'].includes(ext)) return 'yaml';
  if (['.ini', '.cfg', '.hosts'].includes(ext)) return 'ini';
  try {
    const doc = loadYaml().parseDocument(text, { prettyErrors: false });
    const data: unknown = doc.errors.length === 0 ? doc.toJS({ maxAliasCount: 100 }) : undefined;
    return data !== null && typeof data === 'object' && !Array.isArray(data) ? 'yaml' : 'ini';
  } catch {
    return 'ini';
  }
}

/** Parse inventory text in the given format; deep nesting that exhausts the stack is a diagnostic too. */
export function parseInventoryText(text: string, source: string, format: Inventory['format']): { inventory?: Inventory; diagnostics: Diagnostic[] } {
  try {
    return format === 'yaml' ? parseYamlInventory(text, source) : parseIniInventory(text, source);
  } catch (e) {
    if (!(e instanceof RangeError)) throw e;
    return { diagnostics: [{ code: 'NESTING_TOO_DEEP', severity: 'error', message: 'the inventory is nested too deeply to read', line: 1, col: 1 }] };
  }
}
