import { readBoundedFile } from '../../shared/input/index.js';
import { escapeControlChars } from '../../shared/text/index.js';
import { loadYaml } from '../../shared/config/index.js';
import { formatTimestamp } from './paths.js';

/** Effective parallelr configuration: hard-coded defaults, then the installation file, then the user file. */
export interface ParallelrConfig {
  limits: {
    max_workers: number;
    timeout_seconds: number;
    wait_time: number;
    task_start_delay: number;
    max_output_capture: number;
    max_allowed_workers: number;
    max_allowed_timeout: number;
    max_allowed_output: number;
    stop_limits_enabled: boolean;
    max_consecutive_failures: number;
    max_failure_rate: number;
    min_tasks_for_rate_check: number;
  };
  security: { max_argument_length: number };
  execution: { workspace_isolation: boolean; use_process_groups: boolean; kill_grace_seconds: number };
  logging: {
    level: string;
    console_format: string;
    file_format: string;
    custom_date_format: string;
    max_log_size_mb: number;
    backup_count: number;
    task_output_log: boolean;
  };
  advanced: { max_file_size: number; memory_limit_mb: number | null; retry_failed_tasks: boolean };
}

type Kind = 'int' | 'number' | 'bool' | 'string' | 'level' | 'date-format' | 'nullable-int';

interface KeySpec {
  kind: Kind;
  min?: number;
  max?: number;
  /** Only the installation file may set it (security, caps). */
  installationOnly?: boolean;
  /** Upper bound for user values comes from this installation key. */
  cappedBy?: string;
}

/** Every key, its kind and range. Defaults live in {@link defaultConfig}. */
export const CONFIG_SCHEMA: Record<string, Record<string, KeySpec>> = {
  limits: {
    max_workers: { kind: 'int', min: 1, cappedBy: 'max_allowed_workers' },
    timeout_seconds: { kind: 'int', min: 1, cappedBy: 'max_allowed_timeout' },
    wait_time: { kind: 'number', min: 0.01, max: 10 },
    task_start_delay: { kind: 'number', min: 0, max: 60 },
    max_output_capture: { kind: 'int', min: 0, cappedBy: 'max_allowed_output' },
    max_allowed_workers: { kind: 'int', min: 1, installationOnly: true },
    max_allowed_timeout: { kind: 'int', min: 1, installationOnly: true },
    max_allowed_output: { kind: 'int', min: 0, installationOnly: true },
    stop_limits_enabled: { kind: 'bool' },
    max_consecutive_failures: { kind: 'int', min: 1 },
    max_failure_rate: { kind: 'number', min: 0, max: 1 },
    min_tasks_for_rate_check: { kind: 'int', min: 1 },
  },
  security: {
    max_argument_length: { kind: 'int', min: 1, installationOnly: true },
  },
  execution: {
    workspace_isolation: { kind: 'bool' },
    use_process_groups: { kind: 'bool' },
    kill_grace_seconds: { kind: 'number', min: 0, max: 60 },
  },
  logging: {
    level: { kind: 'level' },
    console_format: { kind: 'string' },
    file_format: { kind: 'string' },
    custom_date_format: { kind: 'date-format' },
    max_log_size_mb: { kind: 'int', min: 1 },
    backup_count: { kind: 'int', min: 0, max: 100 },
    task_output_log: { kind: 'bool' },
  },
  advanced: {
    max_file_size: { kind: 'int', min: 1 },
    memory_limit_mb: { kind: 'nullable-int', min: 1 },
    retry_failed_tasks: { kind: 'bool' },
  },
};

export const LOG_LEVELS = ['DEBUG', 'INFO', 'WARNING', 'ERROR', 'CRITICAL'] as const;

/** The hard-coded defaults (the same values as deploy/parallelr.example.yaml). */
export function defaultConfig(): ParallelrConfig {
  return {
    limits: {
      max_workers: 20,
      timeout_seconds: 600,
      wait_time: 0.1,
      task_start_delay: 0,
      max_output_capture: 1000,
      max_allowed_workers: 100,
      max_allowed_timeout: 3600,
      max_allowed_output: 10000,
      stop_limits_enabled: false,
      max_consecutive_failures: 5,
      max_failure_rate: 0.5,
      min_tasks_for_rate_check: 10,
    },
    security: { max_argument_length: 1000 },
    execution: { workspace_isolation: false, use_process_groups: true, kill_grace_seconds: 2 },
    logging: {
      level: 'INFO',
      console_format: '%(asctime)s - %(levelname)s - %(message)s',
      file_format: '%(asctime)s - P%(process)d - %(levelname)s - %(message)s',
      custom_date_format: '%d%b%y_%H%M%S',
      max_log_size_mb: 10,
      backup_count: 5,
      task_output_log: false,
    },
    advanced: { max_file_size: 1048576, memory_limit_mb: null, retry_failed_tasks: false },
  };
}

export type ConfigTier = 'installation' | 'user';

export interface ConfigDiagnostic {
  severity: 'error' | 'warning';
  file: string;
  line?: number;
  col?: number;
  message: string;
}

export interface ConfigFileStatus {
  tier: ConfigTier;
  path: string;
  status: 'read' | 'not found' | 'invalid';
}

export interface LoadedConfig {
  config: ParallelrConfig;
  files: ConfigFileStatus[];
  diagnostics: ConfigDiagnostic[];
}

/** `file:line:col: error: message` */
export function formatConfigDiagnostic(d: ConfigDiagnostic): string {
  const where = d.line ? `${d.file}:${d.line}:${d.col ?? 1}` : d.file;
  return escapeControlChars(`${where}: ${d.severity}: ${d.message}`);
}

/** Reads and merges the two tiers. Missing files are fine; anything wrong in a file is a diagnostic. */
export function loadConfig(paths: { installation: string; user: string }): LoadedConfig {
  const config = defaultConfig();
  const files: ConfigFileStatus[] = [];
  const diagnostics: ConfigDiagnostic[] = [];
  applyFile('installation', paths.installation, config, files, diagnostics);
  applyFile('user', paths.user, config, files, diagnostics);
  return { config, files, diagnostics };
}

function applyFile(
  tier: ConfigTier,
  path: string,
  config: ParallelrConfig,
  files: ConfigFileStatus[],
  diagnostics: ConfigDiagnostic[],
): void {
  const read = readBoundedFile(path);
  if (!read.ok) {
    const { problem } = read;
    if (problem.kind === 'missing') {
      files.push({ tier, path, status: 'not found' });
      return;
    }
    files.push({ tier, path, status: 'invalid' });
    const at = problem.line !== undefined ? { line: problem.line, col: problem.col ?? 1 } : {};
    diagnostics.push({ severity: 'error', file: path, ...at, message: problem.line !== undefined ? problem.reason : `cannot read: the file ${problem.reason}` });
    return;
  }
  const text = read.text;
  const before = diagnostics.length;
  applyText(tier, path, text, config, diagnostics);
  const failed = diagnostics.slice(before).some((d) => d.severity === 'error');
  files.push({ tier, path, status: failed ? 'invalid' : 'read' });
}

function applyText(
  tier: ConfigTier,
  file: string,
  text: string,
  config: ParallelrConfig,
  diagnostics: ConfigDiagnostic[],
): void {
  const { isMap, isScalar, LineCounter, parseDocument } = loadYaml();
  const lines = new LineCounter();
  const doc = parseDocument(text, { lineCounter: lines, prettyErrors: false });
  const at = (offset: number | undefined) => {
    if (offset === undefined) return {};
    const pos = lines.linePos(offset);
    return { line: pos.line, col: pos.col };
  };
  for (const e of doc.errors) {
    diagnostics.push({ severity: 'error', file, ...at(e.pos[0]), message: `YAML syntax: ${firstLine(e.message)}` });
  }
  if (doc.errors.length > 0) return;
  if (doc.contents === null) return;
  if (!isMap(doc.contents)) {
    diagnostics.push({ severity: 'error', file, ...at(nodeStart(doc.contents)), message: 'expected a mapping of sections (limits, security, execution, logging, advanced)' });
    return;
  }
  const pending: Array<() => void> = [];
  for (const pair of doc.contents.items) {
    const section = isScalar(pair.key) ? String(pair.key.value) : String(pair.key);
    const keyPos = at(nodeStart(pair.key));
    const schema = CONFIG_SCHEMA[section];
    if (section === 'nats') continue; // read and checked by controller/nats (docs/nats.md)
    if (!schema) {
      diagnostics.push({ severity: 'error', file, ...keyPos, message: `unknown section '${section}'; expected one of ${Object.keys(CONFIG_SCHEMA).join(', ')}` });
      continue;
    }
    if (pair.value === null || (isScalar(pair.value) && pair.value.value === null)) continue;
    if (!isMap(pair.value)) {
      diagnostics.push({ severity: 'error', file, ...at(nodeStart(pair.value)), message: `section '${section}' must be a mapping` });
      continue;
    }
    for (const item of pair.value.items) {
      const key = isScalar(item.key) ? String(item.key.value) : String(item.key);
      const name = `${section}.${key}`;
      const spec = schema[key];
      const kpos = at(nodeStart(item.key));
      const vpos = at(nodeStart(item.value) ?? nodeStart(item.key));
      if (!spec) {
        const near = suggest(key, Object.keys(schema));
        diagnostics.push({ severity: 'error', file, ...kpos, message: `unknown key '${name}'${near ? `; did you mean '${section}.${near}'?` : ''}` });
        continue;
      }
      if (tier === 'user' && (spec.installationOnly || section === 'security')) {
        diagnostics.push({ severity: 'warning', file, ...kpos, message: `'${name}' can only be set in the installation config; ignored` });
        continue;
      }
      const raw = isScalar(item.value) ? item.value.value : item.value === null ? null : (item.value as { toJSON(): unknown }).toJSON();
      const checked = checkValue(name, spec, raw);
      if ('error' in checked) {
        diagnostics.push({ severity: 'error', file, ...vpos, message: checked.error });
        continue;
      }
      const sectionObj = (config as unknown as Record<string, Record<string, unknown>>)[section]!;
      if (spec.cappedBy) {
        // Caps are applied after the whole file is read, so a cap raised in the same file counts.
        const capKey = spec.cappedBy;
        pending.push(() => {
          const cap = (config.limits as unknown as Record<string, number>)[capKey]!;
          let value = checked.value as number;
          if (value > cap) {
            if (tier === 'user') {
              diagnostics.push({ severity: 'warning', file, ...vpos, message: `${name} ${value} is above limits.${capKey} (${cap}); lowered to ${cap}` });
              value = cap;
            } else {
              diagnostics.push({ severity: 'error', file, ...vpos, message: `${name} ${value} is above limits.${capKey} (${cap})` });
              return;
            }
          }
          sectionObj[key] = value;
        });
      } else {
        sectionObj[key] = checked.value;
      }
    }
  }
  for (const fn of pending) fn();
}

function checkValue(name: string, spec: KeySpec, raw: unknown): { value: unknown } | { error: string } {
  const range = () => {
    if (spec.min !== undefined && spec.max !== undefined) return ` from ${spec.min} to ${spec.max}`;
    if (spec.min !== undefined) return ` of at least ${spec.min}`;
    return '';
  };
  const got = `got ${JSON.stringify(raw)}`;
  switch (spec.kind) {
    case 'bool':
      if (typeof raw === 'boolean') return { value: raw };
      return { error: `${name} must be true or false, ${got}` };
    case 'string':
      if (typeof raw === 'string') return { value: raw };
      return { error: `${name} must be a string, ${got}` };
    case 'level': {
      const v = typeof raw === 'string' ? raw.toUpperCase() : '';
      if ((LOG_LEVELS as readonly string[]).includes(v)) return { value: v };
      return { error: `${name} must be one of ${LOG_LEVELS.join(', ')}, ${got}` };
    }
    case 'date-format': {
      if (typeof raw !== 'string' || raw === '') return { error: `${name} must be a strftime-style format string, ${got}` };
      const probe = formatTimestamp(new Date(0), raw);
      if ('error' in probe) return { error: `${name}: ${probe.error}` };
      if (/[/\\]/.test(probe.text)) return { error: `${name} must not produce '/' (it is used in file names), ${got}` };
      return { value: raw };
    }
    case 'nullable-int':
    case 'int':
    case 'number': {
      if (raw === null && spec.kind === 'nullable-int') return { value: null };
      const isNum = typeof raw === 'number' && Number.isFinite(raw);
      const whole = spec.kind !== 'number';
      if (!isNum || (whole && !Number.isInteger(raw))) {
        return { error: `${name} must be a ${whole ? 'whole number' : 'number'}${range()}, ${got}` };
      }
      const n = raw as number;
      if ((spec.min !== undefined && n < spec.min) || (spec.max !== undefined && n > spec.max)) {
        return { error: `${name} must be a ${whole ? 'whole number' : 'number'}${range()}, ${got}` };
      }
      return { value: n };
    }
  }
}

function nodeStart(node: unknown): number | undefined {
  const range = (node as { range?: [number, number, number] } | null)?.range;
  return range ? range[0] : undefined;
}

function firstLine(text: string): string {
  return text.split('\n')[0]!.replace(/ at line \d+, column \d+:?$/, '');
}

function suggest(word: string, choices: string[]): string | undefined {
  let best: string | undefined;
  let bestDist = 3;
  for (const c of choices) {
    const d = editDistance(word, c);
    if (d < bestDist) {
      best = c;
      bestDist = d;
    }
  }
  return best;
}

function editDistance(a: string, b: string): number {
  const dp = Array.from({ length: b.length + 1 }, (_, i) => i);
  for (let i = 1; i <= a.length; i++) {
    let prev = dp[0]!;
    dp[0] = i;
    for (let j = 1; j <= b.length; j++) {
      const tmp = dp[j]!;
      dp[j] = Math.min(dp[j]! + 1, dp[j - 1]! + 1, prev + (a[i - 1] === b[j - 1] ? 0 : 1));
      prev = tmp;
    }
  }
  return dp[b.length]!;
}

/** The effective configuration as YAML text (for --show-config). */
export function renderConfigYaml(config: ParallelrConfig): string {
  const out: string[] = [];
  for (const [section, values] of Object.entries(config)) {
    out.push(`${section}:`);
    for (const [k, v] of Object.entries(values as Record<string, unknown>)) {
      out.push(`  ${k}: ${v === null ? 'null' : typeof v === 'string' ? JSON.stringify(v) : String(v)}`);
    }
  }
  return out.join('\n') + '\n';
}
