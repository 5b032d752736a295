import { readdirSync } from 'node:fs';
import { isAbsolute, join } from 'node:path';

/** True when the text has glob characters (`*`, `?`, `[`). */
export function hasGlob(text: string): boolean {
  return /[*?[]/.test(text);
}

/**
 * Expands a glob (Node 20 has no fs.glob): `*`, `?`, `[abc]`/`[!a-z]` within one path segment, `**` for
 * any number of directories. Hidden entries match only when the segment starts with a dot. Returns paths
 * in the pattern's own form (relative patterns give relative paths), sorted.
 */
export function expandGlob(pattern: string, cwd: string): string[] {
  const absolute = isAbsolute(pattern);
  const segments = pattern.split('/').filter((s, i) => s !== '' || i === 0);
  const start = absolute ? '/' : '';
  if (absolute) segments.shift();
  const out = new Set<string>();
  walk(start, segments);
  return [...out].sort();

  function walk(prefix: string, rest: string[]): void {
    if (rest.length === 0) {
      if (prefix) out.add(prefix);
      return;
    }
    const [seg, ...tail] = rest as [string, ...string[]];
    const dir = prefix === '' ? cwd : isAbsolute(prefix) ? prefix : join(cwd, prefix);
    const joinName = (name: string) => (prefix === '' ? name : prefix === '/' ? `/${name}` : `${prefix}/${name}`);
    if (seg === '**') {
      walk(prefix, tail);
      for (const d of list(dir)) if (d.isDirectory() && !d.name.startsWith('.')) walk(joinName(d.name), rest);
      return;
    }
    if (!hasGlob(seg)) {
      walk(joinName(seg), tail);
      return;
    }
    const re = segmentRegExp(seg);
    for (const d of list(dir)) {
      if (d.name.startsWith('.') && !seg.startsWith('.')) continue;
      if (!re.test(d.name)) continue;
      if (tail.length > 0 && !d.isDirectory() && !d.isSymbolicLink()) continue;
      walk(joinName(d.name), tail);
    }
  }
}

function list(dir: string) {
  try {
    return readdirSync(dir, { withFileTypes: true });
  } catch {
    return [];
  }
}

function segmentRegExp(seg: string): RegExp {
  let re = '';
  for (let i = 0; i < seg.length; i++) {
    const c = seg[i]!;
    if (c === '*') re += '[^/]*';
    else if (c === '?') re += '[^/]';
    else if (c === '[') {
      const end = seg.indexOf(']', i + 2);
      if (end === -1) re += '\\[';
      else {
        let body = seg.slice(i + 1, end);
        if (body.startsWith('!')) body = '^' + body.slice(1);
        re += `[${body.replace(/\\/g, '\\\\')}]`;
        i = end;
      }
    } else re += c.replace(/[.+^${}()|\\]/g, '\\$&');
  }
  return new RegExp(`^${re}$`);
}
