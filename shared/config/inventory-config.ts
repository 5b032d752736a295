/** The config's `inventory: PATH` (an Ansible inventory; relative paths resolve against the config file's folder). */
import { dirname, isAbsolute, resolve } from 'node:path';
import type { Diagnostic } from '../taskfile/diagnostics.js';
import type { PositionOf } from './schema-check.js';

export function inventoryFromConfig(data: Record<string, unknown>, configPath: string | undefined, home: string, positionOf?: PositionOf): { path?: string; diagnostics: Diagnostic[] } {
  const v = data['inventory'];
  if (v === undefined || v === null) return { diagnostics: [] };
  if (typeof v !== 'string' || v.trim() === '') {
    const pos = positionOf?.(['inventory']);
    return {
      diagnostics: [{
        code: 'CONFIG_TYPE', severity: 'error', message: `inventory must be the path of an Ansible inventory file, got ${JSON.stringify(v)}`,
        ...(pos ? { line: pos.line, col: pos.col } : {}), hint: 'inventory: inventory/hosts.yml',
      }],
    };
  }
  const path = v.startsWith('~/') ? `${home}${v.slice(1)}` : v;
  return { path: isAbsolute(path) ? path : (configPath ? resolve(dirname(configPath), path) : resolve(path)), diagnostics: [] };
}
