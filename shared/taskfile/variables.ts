/** Placeholders `@NAME@` and `@N_stdout@`, environment expansion of globals, and secret masking. */
import { isSecretName } from './keys.js';

/** `@N_field@` of a task result. Field names are case-insensitive. */
export const TASK_VAR = /^(\d+)_(stdout|stderr|exit|success|stdout_file|stderr_file)$/i;
/** A placeholder. Only exec loops use it; each sets lastIndex before searching (a failed exec resets it to 0). */
const PLACEHOLDER = /@([A-Za-z0-9_]+)@/g;
const MAX_PASSES = 10;

export interface Placeholder {
  name: string;
  /** Offset of the opening '@' in the text. */
  offset: number;
}

export function findPlaceholders(text: string): Placeholder[] {
  const out: Placeholder[] = [];
  if (!text.includes('@')) return out;
  // An exec loop: matchAll would copy the regex on every call, and validation calls this per field.
  const re = PLACEHOLDER;
  re.lastIndex = 0;
  for (let m = re.exec(text); m !== null; m = re.exec(text)) out.push({ name: m[1]!, offset: m.index });
  return out;
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

/**
 * One pass of `substitute`: what `text.replace(PLACEHOLDER, …)` with a callback gives, about twice
 * as fast; undefined when `lookup` knew none of the names. lastIndex is set before every search,
 * so a lookup that substitutes on its own does not disturb this loop.
 */
function substituteOnce(text: string, lookup: (name: string) => string | undefined): string | undefined {
  const re = PLACEHOLDER;
  let out: string | undefined;
  let copied = 0; // text before this offset is in `out`
  let searchFrom = 0;
  for (;;) {
    re.lastIndex = searchFrom;
    const m = re.exec(text);
    if (m === null) break;
    searchFrom = m.index + m[0].length;
    const v = lookup(m[1]!);
    if (v === undefined) continue;
    out = (out ?? '') + text.slice(copied, m.index) + v;
    copied = searchFrom;
  }
  return out === undefined ? undefined : out + text.slice(copied);
}

/** `$VAR` / `${VAR}` from the environment; unset variables stay literal (as the peer). */
export function expandEnv(text: string, env: NodeJS.ProcessEnv): { text: string; missing: string[] } {
  const missing: string[] = [];
  const out = text.replace(/\$(?:\{([A-Za-z_][A-Za-z0-9_]*)\}|([A-Za-z_][A-Za-z0-9_]*))/g, (whole, braced?: string, bare?: string) => {
    const name = (braced ?? bare)!;
    const v = env[name];
    if (v === undefined) {
      missing.push(name);
      return whole;
    }
    return v;
  });
  return { text: out, missing };
}

/** Names of environment variables a text refers to. */
export function envReferences(text: string): string[] {
  return [...text.matchAll(/\$(?:\{([A-Za-z_][A-Za-z0-9_]*)\}|([A-Za-z_][A-Za-z0-9_]*))/g)].map((m) => (m[1] ?? m[2])!);
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
