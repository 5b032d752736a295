import type { Diagnostic } from '../taskfile/diagnostics.js';
import { SECRET_NAME_PATTERN } from '../taskfile/secret-names.js';
import { describe, isMap, keyPath, readStringList, SchemaReport, type PositionOf } from './schema-check.js';

/**
 * Read the `secrets` section: `secrets: { names: [DEPLOY_CODE, "*_PIN"] }` adds name patterns to
 * the built-in list (shared/taskfile/secret-names.ts). Absent → no additions.
 */
export function secretNamesFromConfig(data: Record<string, unknown>, positionOf?: PositionOf): { names: string[]; diagnostics: Diagnostic[] } {
  const r = new SchemaReport(positionOf);
  const section = data['secrets'];
  if (section === undefined || section === null) return { names: [], diagnostics: [] };
  if (!isMap(section)) {
    r.error(['secrets'], `secrets must be a mapping (secrets: { names: [...] }), got ${describe(section)}`);
    return { names: [], diagnostics: r.diagnostics };
  }
  r.unknownKeys(['secrets'], section, ['names']);
  const names: string[] = [];
  const list = readStringList(r, ['secrets', 'names'], section['names']) ?? [];
  list.forEach((name, i) => {
    const path = ['secrets', 'names', i];
    if (!SECRET_NAME_PATTERN.test(name) || !/[A-Za-z0-9_]/.test(name)) {
      r.error(path, `${keyPath(path)} must be a variable name or a pattern of letters, digits, '_' and '*' (e.g. "*_PIN"), got \`${name}\``);
    } else names.push(name);
  });
  return { names, diagnostics: r.diagnostics };
}
