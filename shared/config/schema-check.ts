import type { Diagnostic } from '../taskfile/diagnostics.js';
import { sortDiagnostics, suggest } from '../taskfile/diagnostics.js';
import type { ConfigPath } from './load-config.js';

export type PositionOf = (path: ConfigPath, which?: 'value' | 'key') => { line: number; col: number } | undefined;

/** Collects schema diagnostics that name the key path (`exec_types.pbrun.template`) and, when known, the position. */
export class SchemaReport {
  private readonly list: Diagnostic[] = [];
  /** In file order (unpositioned first). */
  get diagnostics(): Diagnostic[] {
    return sortDiagnostics(this.list);
  }

  /** Number of errors so far (to tell whether one entry added any). */
  get errorCount(): number {
    return this.list.filter((d) => d.severity === 'error').length;
  }

  constructor(private readonly positionOf: PositionOf = () => undefined) {}

  error(path: ConfigPath, message: string, hint?: string): void {
    this.add('error', 'CONFIG_INVALID', path, message, hint);
  }

  /** Unknown keys: positioned at the key itself. */
  warn(path: ConfigPath, message: string, hint?: string): void {
    this.add('warning', 'CONFIG_UNKNOWN_KEY', path, message, hint, 'key');
  }

  /** Warn about keys of `map` not in `known`, with a did-you-mean. */
  unknownKeys(path: ConfigPath, map: Record<string, unknown>, known: readonly string[]): void {
    for (const key of Object.keys(map)) {
      if (known.includes(key)) continue;
      const guess = suggest(key, known);
      this.warn([...path, key], `unknown key ${keyPath([...path, key])} is ignored${guess ? `; did you mean '${guess}'?` : ''}`);
    }
  }

  private add(
    severity: 'error' | 'warning',
    code: string,
    path: ConfigPath,
    message: string,
    hint?: string,
    which: 'value' | 'key' = 'value',
  ): void {
    const d: Diagnostic = { code, severity, message };
    const pos = this.positionOf(path, which);
    if (pos) {
      d.line = pos.line;
      d.col = pos.col;
    }
    if (hint) d.hint = hint;
    this.list.push(d);
  }
}

/** `['exec_types','pbrun','template',0]` → `exec_types.pbrun.template[0]`. */
export function keyPath(path: ConfigPath): string {
  return path.map((p, i) => (typeof p === 'number' ? `[${p}]` : i === 0 ? p : `.${p}`)).join('');
}

export function isMap(v: unknown): v is Record<string, unknown> {
  return typeof v === 'object' && v !== null && !Array.isArray(v);
}

export function describe(v: unknown): string {
  if (v === null || v === undefined) return 'nothing';
  if (Array.isArray(v)) return 'a list';
  if (typeof v === 'object') return 'a mapping';
  return `${typeof v} \`${String(v)}\``;
}

/** A positive number of seconds, or undefined (with an error) when given and wrong. */
export function readSeconds(r: SchemaReport, path: ConfigPath, v: unknown): number | undefined {
  if (v === undefined) return undefined;
  if (typeof v === 'number' && Number.isFinite(v) && v > 0) return v;
  r.error(path, `${keyPath(path)} must be a positive number of seconds, got ${describe(v)}`);
  return undefined;
}

export function readString(r: SchemaReport, path: ConfigPath, v: unknown): string | undefined {
  if (v === undefined) return undefined;
  if (typeof v === 'string') return v;
  if (typeof v === 'number') return String(v);
  r.error(path, `${keyPath(path)} must be a string, got ${describe(v)}`);
  return undefined;
}

export function readStringList(r: SchemaReport, path: ConfigPath, v: unknown): string[] | undefined {
  if (v === undefined) return undefined;
  if (Array.isArray(v) && v.every((x) => typeof x === 'string' || typeof x === 'number')) return v.map(String);
  r.error(path, `${keyPath(path)} must be a list of strings, got ${describe(v)}`);
  return undefined;
}
