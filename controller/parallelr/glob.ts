import { resolve } from 'node:path';
import { globSync } from 'tinyglobby';

/** True when the text has glob characters (`*`, `?`, `[`). */
export function hasGlob(text: string): boolean {
  return /[*?[]/.test(text);
}

/**
 * Expands a `-T` glob with tinyglobby: `*`, `?`, `[abc]`/`[!a-z]` within one path segment, `**` for any
 * number of directories (and the files in them). Hidden entries match only when the pattern's segment
 * starts with a dot. Returns paths in the pattern's own form (the literal leading directories kept as
 * written, so relative patterns give relative paths), sorted.
 */
export function expandGlob(pattern: string, cwd: string): string[] {
  const segments = pattern.split('/');
  const firstGlob = segments.findIndex(hasGlob);
  if (firstGlob === -1) return [];
  const prefix = segments.slice(0, firstGlob).join('/');
  const rest = segments.slice(firstGlob);
  const root = firstGlob === 0 ? cwd : resolve(cwd, prefix === '' ? '/' : prefix);
  const found = globSync(rest.join('/'), { cwd: root, onlyFiles: false, expandDirectories: false, dot: true });
  const out = new Set<string>();
  for (const raw of found) {
    const path = raw.endsWith('/') ? raw.slice(0, -1) : raw;
    if (path === '' || path === '.' || !dotsAllowed(path.split('/'), rest)) continue;
    out.add(firstGlob === 0 ? path : prefix === '' ? `/${path}` : `${prefix}/${path}`);
  }
  return [...out].sort();
}

/**
 * A hidden name (leading dot) is matched only by a pattern segment that starts with a dot: the segments
 * before the first `**` line up from the start, those after the last `**` from the end; a hidden name
 * that only a `**` or a character class could match is left out.
 */
function dotsAllowed(path: readonly string[], pattern: readonly string[]): boolean {
  const first = pattern.indexOf('**');
  const last = pattern.lastIndexOf('**');
  for (let i = 0; i < path.length; i++) {
    if (!path[i]!.startsWith('.')) continue;
    const fromEnd = pattern.length - (path.length - i);
    const seg = first === -1 || i < first ? pattern[i] : fromEnd > last ? pattern[fromEnd] : undefined;
    if (!seg?.startsWith('.')) return false;
  }
  return true;
}
