/**
 * Host patterns as Ansible's inventories write them: `web01`, `web01:2222`, `[2001:db8::1]:22`,
 * and ranges `web[01:20]`, `db-[a:c]`, `node[0:20:5]` (zero padding kept, begin ≤ end, any number
 * of ranges in one pattern). Errors carry the offset in the pattern they are about.
 */

/** At most this many hosts from one pattern: a typo like `h[0:99999999]` is refused, not expanded. */
export const MAX_HOSTS_PER_PATTERN = 100_000;

export type PatternResult =
  | { ok: true; names: string[]; port?: number }
  | { ok: false; message: string; offset: number; length: number };

const IPV6_BRACKETED = /^\[([0-9A-Fa-f:.]+)\](?::(\d+))?$/;
const HOST_NAME = /^[A-Za-z0-9_]([A-Za-z0-9_.-]*)$/;
const IPV6 = /^[0-9A-Fa-f:.]+$/;

/** Expand one host pattern into host names, with the port a `:PORT` suffix gives. */
export function expandHostPattern(text: string): PatternResult {
  const v6 = IPV6_BRACKETED.exec(text);
  if (v6 && (v6[1]!.match(/:/g) ?? []).length >= 2) return withPort([v6[1]!], v6[2], text.length - (v6[2]?.length ?? 0));
  // A `:PORT` suffix is a colon outside the range brackets; two or more such colons are IPv6.
  const colons = colonsOutsideBrackets(text);
  if (colons.length >= 2) {
    if (IPV6.test(text)) return { ok: true, names: [text] };
    return fail(`'${text}' is not a host name, an IPv4 address or an IPv6 address`, 0, text.length);
  }
  let pattern = text;
  let port: string | undefined;
  if (colons.length === 1) {
    pattern = text.slice(0, colons[0]);
    port = text.slice(colons[0]! + 1);
    if (!/^\d+$/.test(port)) return fail(`'${port}' after ':' is not a port number`, colons[0]! + 1, Math.max(1, port.length));
  }
  const expanded = expandRanges(pattern, 0);
  if (!expanded.ok) return expanded;
  for (const name of expanded.names) {
    if (!HOST_NAME.test(name)) return fail(`'${name}' is not a valid host name (letters, digits, '.', '-' and '_')`, 0, pattern.length);
  }
  return withPort(expanded.names, port, colons[0] !== undefined ? colons[0] + 1 : 0);
}

function withPort(names: string[], port: string | undefined, offset: number): PatternResult {
  if (port === undefined) return { ok: true, names };
  const n = Number(port);
  if (!Number.isInteger(n) || n < 1 || n > 65535) return fail(`port ${port} is not from 1 to 65535`, offset, port.length);
  return { ok: true, names, port: n };
}

function fail(message: string, offset: number, length: number): PatternResult {
  return { ok: false, message, offset, length };
}

function colonsOutsideBrackets(text: string): number[] {
  const out: number[] = [];
  let depth = 0;
  for (let i = 0; i < text.length; i++) {
    const c = text[i];
    if (c === '[') depth++;
    else if (c === ']') depth = Math.max(0, depth - 1);
    else if (c === ':' && depth === 0) out.push(i);
  }
  return out;
}

/** Expand every `[begin:end(:step)]` in `text`, left to right; `base` is text's offset in the pattern. */
function expandRanges(text: string, base: number): { ok: true; names: string[] } | Extract<PatternResult, { ok: false }> {
  const open = text.indexOf('[');
  if (open < 0) {
    if (text.includes(']')) return { ok: false, message: `']' without '['`, offset: base + text.indexOf(']'), length: 1 };
    return { ok: true, names: [text] };
  }
  const close = text.indexOf(']', open);
  if (close < 0) return { ok: false, message: `'[' without ']': a range is written [01:20]`, offset: base + open, length: text.length - open };
  const values = rangeValues(text.slice(open + 1, close), base + open);
  if (!values.ok) return values;
  const head = text.slice(0, open);
  const rest = expandRanges(text.slice(close + 1), base + close + 1);
  if (!rest.ok) return rest;
  if (values.names.length * rest.names.length > MAX_HOSTS_PER_PATTERN) {
    return { ok: false, message: `the range makes more than ${MAX_HOSTS_PER_PATTERN} hosts`, offset: base + open, length: close - open + 1 };
  }
  const names: string[] = [];
  for (const v of values.names) for (const r of rest.names) names.push(head + v + r);
  return { ok: true, names };
}

/** The values of one range body `begin:end` or `begin:end:step` (numeric with padding, or single letters). */
function rangeValues(body: string, at: number): { ok: true; names: string[] } | Extract<PatternResult, { ok: false }> {
  const bad = (message: string): Extract<PatternResult, { ok: false }> => ({ ok: false, message, offset: at, length: body.length + 2 });
  const parts = body.split(':');
  if (parts.length < 2 || parts.length > 3) return bad(`'[${body}]' is not a range: write [begin:end] or [begin:end:step]`);
  const [beginText, end, stepText] = parts as [string, string, string | undefined];
  const begin = beginText === '' ? '0' : beginText;
  if (stepText !== undefined && !/^[1-9]\d*$/.test(stepText)) return bad(`range step '${stepText}' is not a whole number from 1`);
  const step = stepText === undefined ? 1 : Number(stepText);
  if (/^[a-zA-Z]$/.test(begin) && /^[a-zA-Z]$/.test(end)) {
    const b = begin.charCodeAt(0);
    const e = end.charCodeAt(0);
    if (b > e) return bad(`range [${body}] ends before it begins`);
    const names: string[] = [];
    for (let c = b; c <= e; c += step) names.push(String.fromCharCode(c));
    return { ok: true, names };
  }
  if (!/^\d+$/.test(begin) || !/^\d+$/.test(end)) return bad(`range [${body}] must go from a number to a number, or from a letter to a letter`);
  const padded = begin.length > 1 && begin.startsWith('0');
  if (padded && begin.length !== end.length) return bad(`range [${body}]: a zero-padded begin and its end must have the same width`);
  const b = Number(begin);
  const e = Number(end);
  if (b > e) return bad(`range [${body}] ends before it begins`);
  if ((e - b) / step + 1 > MAX_HOSTS_PER_PATTERN) return bad(`range [${body}] makes more than ${MAX_HOSTS_PER_PATTERN} hosts`);
  const names: string[] = [];
  for (let n = b; n <= e; n += step) names.push(padded ? String(n).padStart(begin.length, '0') : String(n));
  return { ok: true, names };
}
