import { statSync } from 'node:fs';
import { isAbsolute, join, resolve } from 'node:path';
import { loadYaml } from './yaml.js';
import type { Diagnostic } from '../taskfile/diagnostics.js';
import { diagnosticOfProblem } from '../input/index.js';
import { DEFAULT_INPUT_LIMITS, readBoundedFile, type InputLimits, type InputProblem } from '../input/index.js';

export interface LoadConfigOptions {
  /** `--config PATH`: must exist. */
  explicitPath?: string;
  env: NodeJS.ProcessEnv;
  cwd: string;
  home: string;
  /** Size limits of the file (default 16 MiB, lines 1 MiB). */
  limits?: InputLimits;
}

/** A key path into the config data, e.g. ['exec_types', 'pbrun', 'template', 0]. */
export type ConfigPath = readonly (string | number)[];

export interface LoadedConfig {
  /** The file that was read; undefined when none was found (built-in defaults apply). */
  path?: string;
  /** The whole document as plain data; sections of other components are kept untouched. */
  data: Record<string, unknown>;
  diagnostics: Diagnostic[];
  /** The file's lines, for source excerpts under positioned diagnostics. */
  lines?: string[];
  /** Set when the file itself was refused (missing, not a regular file, too large, not UTF-8). */
  problem?: InputProblem;
  /** 1-based line/column of a key path's value (or of its key) in the file, for positioned schema errors. */
  positionOf: (path: ConfigPath, which?: 'value' | 'key') => { line: number; col: number } | undefined;
}

interface Candidate {
  path: string;
  /** Named by the user (`--config`, `$TASKER_CONFIG`): a missing file is an error. */
  required: boolean;
}

/**
 * Where a config is looked for, in order: `--config`, `$TASKER_CONFIG`, `./tasker.yaml`,
 * `./cfg/execution_types.yaml` (the peer's file), `~/.config/tasker/tasker.yaml`,
 * `/etc/tasker/tasker.yaml`. The first that exists wins; there is no merging.
 */
export function configCandidates(opts: LoadConfigOptions): Candidate[] {
  const abs = (p: string) => (isAbsolute(p) ? p : resolve(opts.cwd, p));
  const list: Candidate[] = [];
  if (opts.explicitPath !== undefined) return [{ path: abs(opts.explicitPath), required: true }];
  const fromEnv = opts.env['TASKER_CONFIG'];
  if (fromEnv) return [{ path: abs(fromEnv), required: true }];
  list.push({ path: join(opts.cwd, 'tasker.yaml'), required: false });
  list.push({ path: join(opts.cwd, 'cfg', 'execution_types.yaml'), required: false });
  if (opts.home) list.push({ path: join(opts.home, '.config', 'tasker', 'tasker.yaml'), required: false });
  list.push({ path: '/etc/tasker/tasker.yaml', required: false });
  return list;
}

const noPosition = () => undefined;

/** Find and parse the config file. Never throws: every problem is a diagnostic. */
export function loadConfig(opts: LoadConfigOptions): LoadedConfig {
  for (const candidate of configCandidates(opts)) {
    if (!candidate.required && !isFile(candidate.path)) continue;
    const loaded = parseConfigFile(candidate.path, opts.limits);
    if (candidate.required && loaded.problem && loaded.problem.line === undefined) {
      // A named file that cannot be used says where its name came from.
      const how = opts.explicitPath !== undefined ? '--config' : 'TASKER_CONFIG';
      const code = loaded.problem.kind === 'missing' ? 'CONFIG_NOT_FOUND' : 'CONFIG_UNREADABLE';
      loaded.diagnostics = [error(code, `config file ${candidate.path} (from ${how}) ${loaded.problem.reason}`)];
    }
    return loaded;
  }
  return { data: {}, diagnostics: [], positionOf: noPosition };
}

/** Read (bounded: shared/input/read-bounded-file.ts) and parse one YAML config file. */
export function parseConfigFile(path: string, limits: InputLimits = DEFAULT_INPUT_LIMITS): LoadedConfig {
  const read = readBoundedFile(path, limits);
  if (!read.ok) {
    const { problem } = read;
    const diagnostic = problem.line !== undefined ? diagnosticOfProblem(problem) : error('CONFIG_UNREADABLE', `config file ${path} ${problem.reason}`);
    return { path, data: {}, positionOf: noPosition, diagnostics: [diagnostic], problem };
  }
  const lines = read.text.split(/\r?\n/);
  return { path, lines, ...parseConfigText(read.text) };
}

/** Parse config text (YAML). Syntax errors carry line/column; a non-mapping document is an error. */
export function parseConfigText(text: string): Omit<LoadedConfig, 'path'> {
  const yaml = loadYaml();
  const lineCounter = new yaml.LineCounter();
  const doc = yaml.parseDocument(text, { lineCounter, prettyErrors: false, uniqueKeys: true });
  const diagnostics: Diagnostic[] = [];
  const at = (offset: number) => lineCounter.linePos(offset);
  for (const e of doc.errors) {
    const { line, col } = at(e.pos[0]);
    diagnostics.push({
      code: 'CONFIG_YAML',
      severity: 'error',
      message: firstLine(e.message),
      line,
      col,
      length: Math.max(1, e.pos[1] - e.pos[0]),
    });
  }
  for (const w of doc.warnings) {
    const { line, col } = at(w.pos[0]);
    diagnostics.push({ code: 'CONFIG_YAML', severity: 'warning', message: firstLine(w.message), line, col });
  }
  const positionOf = (path: ConfigPath, which: 'value' | 'key' = 'value') => {
    let node: unknown;
    if (which === 'key' && path.length > 0) {
      const parent = path.length === 1 ? doc.contents : doc.getIn(path.slice(0, -1), true);
      if (yaml.isMap(parent)) node = parent.items.find((pair) => yaml.isScalar(pair.key) && pair.key.value === path[path.length - 1])?.key;
    } else node = doc.getIn(path, true);
    const range = yaml.isNode(node) ? node.range : undefined;
    return range ? at(range[0]) : undefined;
  };
  if (doc.errors.length > 0) return { data: {}, diagnostics, positionOf };
  let value: unknown;
  try {
    value = doc.toJS({ maxAliasCount: 100 });
  } catch (err) {
    diagnostics.push(error('CONFIG_YAML', `cannot read the config document: ${(err as Error).message}`));
    return { data: {}, diagnostics, positionOf };
  }
  if (value === null || value === undefined) return { data: {}, diagnostics, positionOf };
  if (typeof value !== 'object' || Array.isArray(value)) {
    diagnostics.push({ ...error('CONFIG_NOT_A_MAP', 'the config file must be a mapping of sections (key: value)'), line: 1, col: 1 });
    return { data: {}, diagnostics, positionOf };
  }
  return { data: value as Record<string, unknown>, diagnostics, positionOf };
}

function isFile(path: string): boolean {
  try {
    // Most candidates do not exist: no error (and its stack) is built for them.
    return statSync(path, { throwIfNoEntry: false })?.isFile() ?? false;
  } catch {
    return false;
  }
}

function firstLine(text: string): string {
  return text.split('\n')[0]!.trim();
}

function error(code: string, message: string): Diagnostic {
  return { code, severity: 'error', message };
}
