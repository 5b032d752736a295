/**
 * Property test: validating task files whose `hostnames=` mixes names, `@group`s and exclusions,
 * and whose fields use host placeholders, against an inventory (or none), never throws; every
 * diagnostic points into the file; the plan builds.
 */
import test from 'ava';
import fc from 'fast-check';
import { parseTaskFile } from '../../../shared/taskfile/parser.js';
import { buildWorkflow } from '../../../shared/taskfile/validate.js';
import { parseIniInventory } from '../../../shared/inventory/index.js';
import { checkHostVarSecurity } from '../../../shared/taskfile/host-var-security.js';
import { buildPlan } from '../../../core/engine/plan.js';
import { EXEC_TYPES } from '../../helpers/tasker.js';

const { inventory } = parseIniInventory('[web]\nweb[01:04] port=80\n[db]\ndb1 port=5432 role=primary\ndb2 role="$(x)"\n[prod:children]\nweb\ndb\n', 'hosts.ini');

const term = fc.oneof(
  fc.constantFrom('@web', '@db', '@prod', '@all', '@ungrouped', '@nope', '!web02', '!@db', '!', '@', 'web01', 'db1', 'x.example.com', ' ', ''),
  fc.string({ maxLength: 6 }),
);
const placeholder = fc.constantFrom('@HOST@', '@HOST_ADDRESS@', '@HOST_VAR_port@', '@HOST_VAR_role@', '@HOST_VAR_nope@', '@HOST_VAR_@', '@task@', '@0_stdout@');
const field = fc.constantFrom('arguments', 'command', 'condition', 'timeout', 'next', 'hostname');

test('hostnames= with groups and host placeholders: validation never throws and positions every diagnostic', (t) => {
  t.notThrows(() => fc.assert(fc.property(fc.array(term, { maxLength: 6 }), fc.array(fc.tuple(field, placeholder), { maxLength: 4 }), fc.boolean(), (terms, uses, withInventory) => {
    const lines = ['task=0', 'type=parallel', `hostnames=${terms.join(',')}`, 'exec=local', 'command=echo'];
    for (const [key, p] of uses) lines.push(key === 'condition' ? `condition=${p}=80` : `${key}=${p}`);
    lines.push('task=1', 'hostname=localhost', 'exec=local', 'command=echo', `arguments=${uses[0]?.[1] ?? 'x'}`);
    const text = lines.join('\n') + '\n';
    const parsed = parseTaskFile(text, 'f.txt');
    const built = buildWorkflow(parsed.ast, { env: {}, execTypes: EXEC_TYPES, ...(withInventory ? { inventory } : {}) });
    for (const d of [...built.diagnostics, ...checkHostVarSecurity(built.workflow)]) {
      if (d.line === undefined || d.line < 1 || d.line > lines.length || d.col === undefined || d.col < 1) throw new Error(`bad position: ${JSON.stringify(d)}`);
    }
    buildPlan(built.workflow, { defaultExecType: 'local', canonicalExecType: (n) => (EXEC_TYPES.has(n) ? n : undefined), describeCommand: (e, h, c, a) => `${e} ${h} ${c} ${a}`, env: {} });
  }), { numRuns: 500 }));
});
