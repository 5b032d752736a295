/**
 * Environment variables in task-file text: `$VAR`, `${VAR}`, `${VAR:-default}` (unset or empty →
 * default) and `${VAR-default}` (unset → default), read as a POSIX shell reads them: not inside
 * '…', not after a backslash. One scanner serves validation (which reports what is unset, with its
 * offset), the dry-run plan and the run, so all three see the same references.
 */

export interface EnvReference {
  name: string;
  /** Offset of the `$` in the scanned text. */
  offset: number;
  /** Length of the whole reference, `${…}` included. */
  length: number;
  /** `:-` (unset or empty) or `-` (unset) when the reference has a default. */
  op?: ':-' | '-';
  /** The default's raw text (itself expanded, as in a shell). */
  fallback?: string;
  /** Offset of the default text in the scanned text. */
  fallbackOffset?: number;
}

/** A `${…}` that is not one of the supported forms (e.g. `${VAR:=x}`, `${1}`, a missing `}`). */
export interface BadEnvReference {
  text: string;
  offset: number;
  length: number;
}

export interface EnvScan {
  refs: EnvReference[];
  bad: BadEnvReference[];
}

const NAME = /^[A-Za-z_][A-Za-z0-9_]*/;
/** Defaults nest at most this deep (`${A:-${B:-…}}`); deeper ones are reported, not recursed into. */
export const MAX_DEFAULT_DEPTH = 8;

/** Every environment reference in `text`, left to right (defaults' own references not included). */
export function scanEnv(text: string): EnvScan {
  const refs: EnvReference[] = [];
  const bad: BadEnvReference[] = [];
  let quote: '"' | "'" | undefined;
  for (let i = 0; i < text.length; i++) {
    const c = text[i];
    if (quote === "'") {
      if (c === "'") quote = undefined;
    } else if (c === '\\') {
      i++; // the escaped character is literal
    } else if (c === "'" && quote === undefined) {
      quote = "'";
    } else if (c === '"') {
      quote = quote === '"' ? undefined : '"';
    } else if (c === '$') {
      const end = readReference(text, i, refs, bad);
      if (end > i) i = end - 1;
    }
  }
  return { refs, bad };
}

/** Read the reference whose `$` is at `at`; returns the offset after it, or `at` if none starts there. */
function readReference(text: string, at: number, refs: EnvReference[], bad: BadEnvReference[]): number {
  if (text[at + 1] !== '{') {
    const m = NAME.exec(text.slice(at + 1, at + 257));
    if (!m) return at;
    refs.push({ name: m[0], offset: at, length: m[0].length + 1 });
    return at + 1 + m[0].length;
  }
  const close = matchingBrace(text, at + 2);
  if (close === -1) {
    bad.push({ text: text.slice(at, at + 40), offset: at, length: text.length - at });
    return text.length;
  }
  const inner = text.slice(at + 2, close);
  const m = NAME.exec(inner);
  const rest = m ? inner.slice(m[0].length) : inner;
  const length = close + 1 - at;
  if (!m || (rest !== '' && !rest.startsWith(':-') && !rest.startsWith('-'))) {
    bad.push({ text: text.slice(at, close + 1), offset: at, length });
  } else if (rest === '') {
    refs.push({ name: m[0], offset: at, length });
  } else {
    const op = rest.startsWith(':-') ? ':-' : '-';
    const fallbackOffset = at + 2 + m[0].length + op.length;
    refs.push({ name: m[0], offset: at, length, op, fallback: text.slice(fallbackOffset, close), fallbackOffset });
  }
  return close + 1;
}

/** The offset of the `}` closing a `${` whose body starts at `from`, nested `${…}` skipped; -1 if none. */
function matchingBrace(text: string, from: number): number {
  let depth = 0;
  for (let i = from; i < text.length; i++) {
    const c = text[i];
    if (c === '\\') i++;
    else if (c === '$' && text[i + 1] === '{') {
      depth++;
      i++;
    } else if (c === '}') {
      if (depth === 0) return i;
      depth--;
    }
  }
  return -1;
}

/** What an environment lookup found missing: unset names (where no default covers them), with offsets. */
export interface EnvExpansion {
  text: string;
  /** Unset variables without a default, offsets relative to the expanded input. */
  missing: EnvReference[];
  bad: BadEnvReference[];
}

/**
 * Expand `text` against `env`. An unset variable without a default stays literal and is listed in
 * `missing` (validation makes that an error wherever the text is used); a bad `${…}` stays literal.
 */
export function expandEnvText(text: string, env: NodeJS.ProcessEnv, depth = 0): EnvExpansion {
  if (!text.includes('$')) return { text, missing: [], bad: [] };
  const { refs, bad } = scanEnv(text);
  const missing: EnvReference[] = [];
  let out = '';
  let copied = 0;
  for (const ref of refs) {
    out += text.slice(copied, ref.offset) + valueOf(ref, env, text, missing, bad, depth);
    copied = ref.offset + ref.length;
  }
  return { text: out + text.slice(copied), missing, bad };
}

function valueOf(ref: EnvReference, env: NodeJS.ProcessEnv, text: string, missing: EnvReference[], bad: BadEnvReference[], depth: number): string {
  const v = env[ref.name];
  const useDefault = ref.op === ':-' ? v === undefined || v === '' : ref.op === '-' && v === undefined;
  const literal = text.slice(ref.offset, ref.offset + ref.length);
  if (useDefault && depth >= MAX_DEFAULT_DEPTH) {
    bad.push({ text: literal.slice(0, 40), offset: ref.offset, length: ref.length });
    return literal;
  }
  if (useDefault) {
    const inner = expandEnvText(ref.fallback!, env, depth + 1);
    const shift = (o: number): number => o + ref.fallbackOffset!;
    missing.push(...inner.missing.map((r) => ({ ...r, offset: shift(r.offset), fallbackOffset: r.fallbackOffset === undefined ? undefined : shift(r.fallbackOffset) })));
    bad.push(...inner.bad.map((b) => ({ ...b, offset: shift(b.offset) })));
    return inner.text;
  }
  if (v !== undefined) return v;
  missing.push(ref);
  return literal;
}

/** Every reference in a text with its offset, defaults' own references included (for --strict-env-validation). */
export function allEnvReferences(text: string, depth = 0): EnvReference[] {
  if (!text.includes('$')) return [];
  const out: EnvReference[] = [];
  for (const ref of scanEnv(text).refs) {
    out.push(ref);
    if (ref.fallback !== undefined && depth < MAX_DEFAULT_DEPTH) {
      out.push(...allEnvReferences(ref.fallback, depth + 1).map((r) => ({ ...r, offset: r.offset + ref.fallbackOffset! })));
    }
  }
  return out;
}
