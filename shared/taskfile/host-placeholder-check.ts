/**
 * Validation of `@HOST@`, `@HOST_ADDRESS@` and `@HOST_VAR_name@`: they have a value per host of a
 * `hostnames=` block, so they belong in its command, arguments and condition; `@HOST_VAR_name@`
 * needs every selected host to have the variable.
 */
import type { FieldValue } from './ast.js';
import type { Diagnostic } from './diagnostics.js';
import { suggest } from './diagnostics.js';
import type { Task, Workflow } from './model.js';
import type { Placeholder } from './variables.js';
import { HOST_PLACEHOLDER, HOST_VAR_PREFIX } from '../inventory/index.js';
import { varsOfHost } from '../inventory/index.js';

const PER_HOST_FIELDS = new Set(['command', 'arguments', 'condition']);

/** true when `p` is a host placeholder (checked here, problems reported); false leaves it to the caller. */
export function checkHostPlaceholder(wf: Workflow, task: Task, key: string, field: FieldValue, p: Placeholder, diagnostics: Diagnostic[]): boolean {
  const m = HOST_PLACEHOLDER.exec(p.name);
  if (!m) return false;
  const at = { line: field.line, col: field.valueCol + p.offset, length: p.name.length + 2 };
  if (!task.hostnames) {
    if (wf.globals.has(p.name)) return false; // a global of that name, as before host placeholders
    diagnostics.push({ code: 'HOST_PLACEHOLDER_OUTSIDE_FAN_OUT', severity: 'error', message: `task ${task.id}: @${p.name}@ has a value only in a hostnames= block`, ...at, hint: 'use it in the command, arguments or condition of a type=parallel task with hostnames=' });
    return true;
  }
  if (!PER_HOST_FIELDS.has(key)) {
    diagnostics.push({ code: 'HOST_PLACEHOLDER_FIELD', severity: 'error', message: `task ${task.id}: @${p.name}@ differs per host, but ${key}= applies to the whole block`, ...at, hint: 'use host placeholders in command, arguments or condition' });
    return true;
  }
  const varName = m[1];
  if (varName === undefined) return true;
  const lacking = task.hostnames.filter((h) => !(wf.inventory && varsOfHost(wf.inventory, h)?.has(varName)));
  if (lacking.length > 0) {
    const known = new Set<string>();
    for (const h of task.hostnames.slice(0, 50)) for (const k of (wf.inventory && varsOfHost(wf.inventory, h)?.keys()) ?? []) known.add(k);
    const near = suggest(varName, known);
    const shown = lacking.slice(0, 5).join(', ') + (lacking.length > 5 ? `, … (${lacking.length} hosts)` : '');
    diagnostics.push({
      code: 'UNDEFINED_HOST_VAR', severity: 'error',
      message: `task ${task.id}: @${p.name}@: host${lacking.length > 1 ? 's' : ''} ${shown} ${lacking.length > 1 ? 'have' : 'has'} no inventory variable '${varName}'`,
      ...at, hint: near ? `did you mean @${HOST_VAR_PREFIX}${near}@?` : `define ${varName} in the inventory for every host of the block (e.g. in the vars of 'all')`,
    });
  }
  return true;
}
