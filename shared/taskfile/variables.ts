/** Placeholders `@NAME@` and `@N_stdout@`, environment expansion of globals, and secret masking. */
import { allEnvReferences, expandEnvText } from './env-expand.js';
import { isSecretName } from './keys.js';

/** `@N_field@` of a task result. Field names are case-insensitive. */
export const TASK_VAR = /^(\d+)_(stdout|stderr|exit|success|stdout_file|stderr_file)$/i;
const MAX_PASSES = 10;
const AT = 0x40; // '@'

export interface Placeholder {
  name: string;
  /** Offset of the opening '@' in the text. */
  offset: number;
}

/**
 * Placeholders `@NAME@` (NAME of ASCII letters, digits and _), left to right, not overlapping: what
 * `/@([A-Za-z0-9_]+)@/g` matches. Scanned by hand because validation and every run call this per
 * field, and regex match objects were most of validation's garbage.
 */
export function findPlaceholders(text: string): Placeholder[] {
  const out: Placeholder[] = [];
  for (let at = text.indexOf('@'); at !== -1;) {
    const end = placeholderEnd(text, at);
    if (end === -1) {
      at = text.indexOf('@', at + 1);
      continue;
    }
    out.push({ name: text.slice(at + 1, end - 1), offset: at });
    at = text.indexOf('@', end);
  }
  return out;
}

/** The offset after the closing '@' of a placeholder whose '@' is at `at`; -1 when none starts there. */
function placeholderEnd(text: string, at: number): number {
  let end = at + 1;
  while (end < text.length && isNameChar(text.charCodeAt(end))) end++;
  return end > at + 1 && end < text.length && text.charCodeAt(end) === AT ? end + 1 : -1;
}

function isNameChar(c: number): boolean {
  return (c >= 0x30 && c <= 0x39) || (c >= 0x41 && c <= 0x5a) || (c >= 0x61 && c <= 0x7a) || c === 0x5f;
}

/**
 * Replace placeholders using `lookup` (undefined = leave literal). Values may themselves hold
 * placeholders; substitution repeats up to 10 passes, so a self-reference stops instead of looping.
 */
export function substitute(text: string, lookup: (name: string) => string | undefined): string {
  let current = text;
  for (let pass = 0; pass < MAX_PASSES && current.includes('@'); pass++) {
    const next = substituteOnce(current, lookup);
    if (next === undefined) break;
    current = next;
  }
  return current;
}

/** One pass of `substitute`; undefined when `lookup` knew none of the names. */
function substituteOnce(text: string, lookup: (name: string) => string | undefined): string | undefined {
  let out: string | undefined;
  let copied = 0; // text before this offset is in `out`
  for (let at = text.indexOf('@'); at !== -1;) {
    const end = placeholderEnd(text, at);
    if (end === -1) {
      at = text.indexOf('@', at + 1);
      continue;
    }
    const v = lookup(text.slice(at + 1, end - 1));
    if (v !== undefined) {
      out = (out ?? '') + text.slice(copied, at) + v;
      copied = end;
    }
    at = text.indexOf('@', end);
  }
  return out === undefined ? undefined : out + text.slice(copied);
}

/**
 * `$VAR`, `${VAR}`, `${VAR:-default}`, `${VAR-default}` from the environment (see env-expand.ts);
 * unset variables without a default stay literal and are named in `missing`.
 */
export function expandEnv(text: string, env: NodeJS.ProcessEnv): { text: string; missing: string[] } {
  const r = expandEnvText(text, env);
  return { text: r.text, missing: r.missing.map((m) => m.name) };
}

/** Names of environment variables a text refers to (defaults' own references included). */
export function envReferences(text: string): string[] {
  return allEnvReferences(text).map((r) => r.name);
}

export function maskValue(value: string): string {
  return `<masked len=${value.length}>`;
}

/**
 * Replace every occurrence of a secret value in a text by its mask. Used on anything shown to an
 * operator or written to disk: console, log, project summary, JSON, recovery state.
 */
export function maskSecrets(text: string, secrets: readonly string[]): string {
  let out = text;
  for (const s of secrets) if (s.length >= 3 && out.includes(s)) out = out.split(s).join(maskValue(s));
  return out;
}

/** The secret values among globals (by name), longest first so overlapping secrets mask fully. */
export function secretValues(globals: ReadonlyMap<string, string>): string[] {
  return [...globals]
    .filter(([name, v]) => isSecretName(name) && v.length > 0)
    .map(([, v]) => v)
    .sort((a, b) => b.length - a.length);
}
