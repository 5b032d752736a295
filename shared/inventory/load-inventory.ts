/**
 * Read an inventory file and parse it as YAML or INI. The format follows Ansible's choice: `.yml`,
 * `.yaml` and `.json` are YAML, `.ini`, `.cfg` and `.hosts` are INI, and a file with another
 * name is YAML when it reads as a YAML mapping, else INI. Never throws.
 */
import { extname } from 'node:path';
import type { Diagnostic } from '../taskfile/diagnostics.js';
import { loadYaml } from '../config/index.js';
import { diagnosticOfProblem } from '../input/index.js';
import { DEFAULT_INPUT_LIMITS, readBoundedFile, type InputLimits, type InputProblem } from '../input/index.js';
import { findExcessiveNesting } from './flow-depth.js';
import type { Inventory } from './model.js';
import { parseIniInventory } from './parse-ini-inventory.js';
import { parseYamlInventory } from './parse-yaml-inventory.js';

export interface LoadedInventory {
  inventory?: Inventory;
  diagnostics: Diagnostic[];
  /** The file was refused by the bounded reader (missing, not a regular file, too large, bad UTF-8, …). */
  problem?: InputProblem;
  /** The text, for source excerpts in diagnostics. */
  lines?: string[];
}

/** Read (through the project's bounded reader: a regular file, size and line limits, UTF-8) and parse. */
export function loadInventory(path: string, displayName = path, limits: InputLimits = DEFAULT_INPUT_LIMITS): LoadedInventory {
  const read = readBoundedFile(path, limits);
  if (!read.ok) {
    const { problem } = read;
    if (problem.line === undefined) return { diagnostics: [], problem };
    const d = diagnosticOfProblem(problem);
    if (problem.kind === 'line-too-long') d.hint = 'an inventory line holds one host, group or variable';
    return { diagnostics: [d], problem };
  }
  return { ...parseInventoryText(read.text, displayName, inventoryFormat(path, read.text)), lines: read.text.split(/\r?\n/) };
}

/** YAML or INI, as described at the top of this file. */
export function inventoryFormat(path: string, text: string): Inventory['format'] {
  const ext = extname(path).toLowerCase();
  if (['.yml', '.yaml', '.json'].includes(ext)) return 'yaml';
  if (['.ini', '.cfg', '.hosts'].includes(ext)) return 'ini';
  // Nesting no INI file has: the YAML reader refuses it with a position, before any full parse.
  if (findExcessiveNesting(text) >= 0) return 'yaml';
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
