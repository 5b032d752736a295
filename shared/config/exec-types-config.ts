import {
  builtinExecTypes,
  BUILTIN_ALIASES,
  execTypeNames,
  resolveExecType,
  unknownPlaceholders,
  type ConnectivityTest,
  type ExecType,
  type ExecTypeRegistry,
} from '../exec/index.js';
import { suggest, type Diagnostic } from '../taskfile/diagnostics.js';
import type { ConfigPath } from './load-config.js';
import { describe, isMap, keyPath, readSeconds, readString, readStringList, SchemaReport, type PositionOf } from './schema-check.js';

const TYPE_KEYS = ['description', 'binary', 'template', 'timeout', 'connectivity_test'] as const;
const PEER_TYPE_KEYS = ['description', 'binary', 'command_template', 'timeout', 'validation_test'] as const;
const TEST_KEYS = ['command', 'arguments', 'expected_exit', 'expected_output', 'timeout'] as const;
const DEFAULT_TEST_TIMEOUT_SEC = 10;

/**
 * Build the exec-type registry from config data (our `exec_types`/`aliases`/`default_*` keys, and
 * the peer's `platforms.linux.*` layout). Config entries override built-ins field by field, so
 * `exec_types: {pbrun: {binary: /opt/pb/bin/pbrun}}` keeps pbrun's template and test.
 */
export function execTypesFromConfig(
  data: Record<string, unknown>,
  positionOf?: PositionOf,
): { registry: ExecTypeRegistry; diagnostics: Diagnostic[] } {
  const r = new SchemaReport(positionOf);
  const types = new Map(builtinExecTypes().map((t) => [t.name, t]));
  const aliases = new Map(Object.entries(BUILTIN_ALIASES));
  let defaultExecType: { value: string; path: ConfigPath } | undefined;
  let defaultTimeoutSec: number | undefined;

  const platforms = data['platforms'];
  if (platforms !== undefined) {
    const platformName = process.platform === 'darwin' && isMap(platforms) && isMap(platforms['darwin']) ? 'darwin' : 'linux';
    const section = isMap(platforms) ? platforms[platformName] : undefined;
    if (!isMap(platforms)) r.error(['platforms'], `platforms must be a mapping, got ${describe(platforms)}`);
    else if (section !== undefined && !isMap(section))
      r.error(['platforms', platformName], `platforms.${platformName} must be a mapping, got ${describe(section)}`);
    else if (isMap(section)) {
      const base: ConfigPath = ['platforms', platformName];
      for (const [key, value] of Object.entries(section)) {
        const path = [...base, key];
        if (key === 'default_exec_type') {
          const s = readString(r, path, value);
          if (s !== undefined) defaultExecType = { value: s, path };
        } else if (key === 'default_timeout') defaultTimeoutSec = readSeconds(r, path, value) ?? defaultTimeoutSec;
        else if (key === 'default_validation_timeout') readSeconds(r, path, value);
        else if (isMap(value) && ('binary' in value || 'command_template' in value)) {
          r.unknownKeys(path, value, PEER_TYPE_KEYS);
          applyType(r, types, key.toLowerCase(), path, {
            description: value['description'],
            binary: value['binary'],
            template: value['command_template'],
            timeout: value['timeout'],
            test: value['validation_test'],
            hasTest: 'validation_test' in value,
            templateKey: 'command_template',
            testKey: 'validation_test',
          });
        }
      }
    }
  }

  const execTypes = data['exec_types'];
  if (execTypes !== undefined) {
    if (!isMap(execTypes)) r.error(['exec_types'], `exec_types must be a mapping of name: {binary, template, …}, got ${describe(execTypes)}`);
    else
      for (const [name, value] of Object.entries(execTypes)) {
        const path: ConfigPath = ['exec_types', name];
        if (!isMap(value)) {
          r.error(path, `${keyPath(path)} must be a mapping with binary, template, timeout, connectivity_test; got ${describe(value)}`);
          continue;
        }
        r.unknownKeys(path, value, TYPE_KEYS);
        applyType(r, types, name.toLowerCase(), path, {
          description: value['description'],
          binary: value['binary'],
          template: value['template'],
          timeout: value['timeout'],
          test: value['connectivity_test'],
          hasTest: 'connectivity_test' in value,
          templateKey: 'template',
          testKey: 'connectivity_test',
        });
      }
  }

  const aliasData = data['aliases'];
  if (aliasData !== undefined) {
    if (!isMap(aliasData)) r.error(['aliases'], `aliases must be a mapping of alias: exec type, got ${describe(aliasData)}`);
    else
      for (const [alias, target] of Object.entries(aliasData)) {
        const path: ConfigPath = ['aliases', alias];
        const t = readString(r, path, target);
        if (t === undefined) continue;
        if (!types.has(t.toLowerCase())) {
          const guess = suggest(t, types.keys());
          r.error(path, `${keyPath(path)} names exec type '${t}', which does not exist${guess ? `; did you mean '${guess}'?` : ''}`);
          continue;
        }
        aliases.set(alias.toLowerCase(), t.toLowerCase());
      }
  }

  if (data['default_exec_type'] !== undefined) {
    const s = readString(r, ['default_exec_type'], data['default_exec_type']);
    if (s !== undefined) defaultExecType = { value: s, path: ['default_exec_type'] };
  }
  if (data['default_timeout'] !== undefined)
    defaultTimeoutSec = readSeconds(r, ['default_timeout'], data['default_timeout']) ?? defaultTimeoutSec;

  const registry: { -readonly [K in keyof ExecTypeRegistry]: ExecTypeRegistry[K] } = { types, aliases };
  if (defaultExecType) {
    const found = resolveExecType(registry, defaultExecType.value);
    if (found) registry.defaultExecType = found.name;
    else {
      const guess = suggest(defaultExecType.value, execTypeNames(registry));
      r.error(
        defaultExecType.path,
        `${keyPath(defaultExecType.path)} is '${defaultExecType.value}', which is not an exec type${guess ? `; did you mean '${guess}'?` : ''}`,
      );
    }
  }
  if (defaultTimeoutSec !== undefined) registry.defaultTimeoutSec = defaultTimeoutSec;
  return { registry, diagnostics: r.diagnostics };
}

interface RawType {
  description: unknown;
  binary: unknown;
  template: unknown;
  timeout: unknown;
  test: unknown;
  hasTest: boolean;
  templateKey: string;
  testKey: string;
}

function applyType(r: SchemaReport, types: Map<string, ExecType>, name: string, path: ConfigPath, raw: RawType): void {
  const existing = types.get(name);
  if (existing?.remote) {
    r.error(path, `${keyPath(path)}: exec type '${name}' is built in and runs through its own executor; configure it in its own section`);
    return;
  }
  const before = r.errorCount;
  const templatePath = [...path, raw.templateKey];
  const template = readStringList(r, templatePath, raw.template);
  if (template) {
    if (template.length === 0) r.error(templatePath, `${keyPath(templatePath)} must not be empty`);
    template.forEach((element, i) => {
      for (const name of unknownPlaceholders(element))
        r.error(
          [...templatePath, i],
          `${keyPath([...templatePath, i])} uses unknown placeholder {${name}}; known: {binary} {hostname} {command} {arguments} {arguments_split}`,
        );
    });
  }
  const binary = readString(r, [...path, 'binary'], raw.binary);
  const description = readString(r, [...path, 'description'], raw.description);
  const timeoutSec = readSeconds(r, [...path, 'timeout'], raw.timeout);
  const test = raw.hasTest ? readTest(r, [...path, raw.testKey], raw.test) : undefined;
  if (!existing && !template) r.error([...path, raw.templateKey], `${keyPath(path)} is a new exec type and needs ${raw.templateKey} (a list of strings)`);
  if (r.errorCount > before) return;

  const finalTemplate = template ?? existing!.template;
  const type: ExecType = {
    name,
    binary: binary ?? existing?.binary ?? guessBinary(finalTemplate),
    template: finalTemplate,
    usesHost: existing?.usesHost ?? finalTemplate.some((e) => e.includes('{hostname}')),
  };
  const desc = description ?? existing?.description;
  if (desc !== undefined) type.description = desc;
  const timeout = timeoutSec ?? existing?.timeoutSec;
  if (timeout !== undefined) type.timeoutSec = timeout;
  const connectivity = raw.hasTest ? test : existing?.connectivityTest;
  if (connectivity !== undefined) type.connectivityTest = connectivity;
  types.set(name, type);
}

/** A new type's program: its first template element when that is a literal word. */
function guessBinary(template: string[]): string {
  const first = template[0] ?? '';
  return first.includes('{') ? '' : first;
}

function readTest(r: SchemaReport, path: ConfigPath, v: unknown): ConnectivityTest | null | undefined {
  if (v === null) return null;
  if (!isMap(v)) {
    r.error(path, `${keyPath(path)} must be a mapping {command, arguments, expected_exit, expected_output, timeout} or null, got ${describe(v)}`);
    return undefined;
  }
  r.unknownKeys(path, v, TEST_KEYS);
  const command = readString(r, [...path, 'command'], v['command']);
  if (command === undefined && v['command'] === undefined) r.error(path, `${keyPath(path)} needs a command`);
  const args = readString(r, [...path, 'arguments'], v['arguments']) ?? '';
  let expectedExit: number | undefined;
  if (v['expected_exit'] !== undefined) {
    if (Number.isInteger(v['expected_exit']) && (v['expected_exit'] as number) >= 0 && (v['expected_exit'] as number) <= 255)
      expectedExit = v['expected_exit'] as number;
    else r.error([...path, 'expected_exit'], `${keyPath([...path, 'expected_exit'])} must be an exit code 0–255, got ${describe(v['expected_exit'])}`);
  }
  const expectedOutput = readString(r, [...path, 'expected_output'], v['expected_output']);
  if (v['expected_exit'] === undefined && v['expected_output'] === undefined)
    r.error(path, `${keyPath(path)} needs expected_exit or expected_output (or both), else it could never pass`);
  const timeoutSec = readSeconds(r, [...path, 'timeout'], v['timeout']);
  if (command === undefined) return undefined;
  return {
    command,
    arguments: args,
    expectedExit: expectedExit ?? 0,
    expectedOutput: expectedOutput ?? '',
    timeoutSec: timeoutSec ?? DEFAULT_TEST_TIMEOUT_SEC,
  };
}
