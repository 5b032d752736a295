/** Checks JSON values against the published schemas in docs/schemas/ (ajv, draft-07, strict). */
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { Ajv, type ValidateFunction } from 'ajv';
import { ROOT } from './run-cli.js';

const ajv = new Ajv({ allErrors: true, strict: true, allowUnionTypes: true });
const compiled = new Map<string, ValidateFunction>();

/** The schema docs/schemas/NAME.schema.json, compiled once. */
function validatorOf(name: string): ValidateFunction {
  let v = compiled.get(name);
  if (!v) {
    v = ajv.compile(JSON.parse(readFileSync(join(ROOT, 'docs', 'schemas', `${name}.schema.json`), 'utf8')) as object);
    compiled.set(name, v);
  }
  return v;
}

/** The schema's complaints about `value` (empty when it conforms), each as "path: message". */
export function schemaErrors(name: 'run-result' | 'parallelr-result', value: unknown): string[] {
  const validate = validatorOf(name);
  if (validate(value)) return [];
  return (validate.errors ?? []).map((e) => `${e.instancePath || '/'}: ${e.message ?? 'invalid'}${e.params ? ` ${JSON.stringify(e.params)}` : ''}`);
}
