/**
 * The security checks a global's value gets, for inventory variables a `hostnames=` block uses
 * through `@HOST_VAR_name@`: a NUL byte, injection patterns and path traversal in the value of any
 * selected host are errors at the placeholder (skippable with --skip-security-validation, like the
 * task-field checks: the inventory is not the task file).
 */
import type { Diagnostic } from './diagnostics.js';
import type { Workflow } from './model.js';
import { findPlaceholders } from './variables.js';
import { findValuePatterns } from './security.js';
import { HOST_PLACEHOLDER } from '../inventory/index.js';
import { varsOfHost } from '../inventory/index.js';

const FIELDS = ['command', 'arguments', 'condition'];
const HINT = 'inventory values are substituted into the command; keep shell syntax out of them, or check the host\'s variable';

export function checkHostVarSecurity(workflow: Workflow): Diagnostic[] {
  const inventory = workflow.inventory;
  if (!inventory) return [];
  const out: Diagnostic[] = [];
  for (const task of workflow.tasks.values()) {
    if (!task.hostnames) continue;
    for (const key of FIELDS) {
      const field = task.fields.get(key);
      if (!field || !field.value.includes('@')) continue;
      for (const p of findPlaceholders(field.value)) {
        const name = HOST_PLACEHOLDER.exec(p.name)?.[1];
        if (name === undefined) continue;
        const at = { line: field.line, col: field.valueCol + p.offset, length: p.name.length + 2 };
        for (const host of new Set(task.hostnames)) {
          const value = varsOfHost(inventory, host)?.get(name);
          if (value === undefined) continue;
          const where = `task ${task.id}: @${p.name}@ for host ${host}`;
          if (value.includes('\0')) out.push({ code: 'SECURITY_NUL_BYTE', severity: 'error', message: `${where}: the value contains a NUL byte`, ...at, hint: HINT });
          const found = findValuePatterns(value)[0];
          if (found) {
            const code = found.kind === 'injection' ? 'SECURITY_INJECTION' : 'SECURITY_TRAVERSAL';
            out.push({ code, severity: 'error', message: `${where}: the value contains the ${found.kind === 'injection' ? 'injection' : 'path traversal'} pattern '${found.name}'`, ...at, hint: HINT });
          }
        }
      }
    }
  }
  return out;
}
