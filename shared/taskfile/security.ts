/**
 * Security validation of task fields and globals (the peer's input sanitizer, PEER-TASKER §12).
 *
 * Checks `hostname`, `command` and `arguments` of every task after global substitution, and every
 * global's value after environment expansion. Each finding points at the offending text in the
 * source (a match inside a substituted `@NAME@` points at the placeholder).
 *
 * Rules, by exec type of the task:
 * - all types: NUL byte; length limits (skipped while a value holds a placeholder); hostname
 *   shell metacharacters; path traversal in arguments; warnings for destructive commands.
 * - non-shell types: injection patterns in command and arguments, metacharacters in command.
 *   `exec=shell` runs through bash, so shell syntax there is intended and allowed.
 * A lone `|`, `&` or `>` in arguments is not an error: a local task passes it as a literal argv
 * word (a grep pattern `a|b`), so only the listed injection patterns are rejected there.
 *
 * Globals are checked like arguments of a local task (injection and traversal are errors) and the
 * caller must apply that part even with --skip-security-validation, as the peer does.
 */
import type { Diagnostic } from './diagnostics.js';
import type { Task, Workflow } from './model.js';
import { substitute } from './variables.js';

export interface SecurityOptions {
  /**
   * The task's exec type, canonical name (aliases applied); `shell` relaxes the checks. `resolve`
   * substitutes globals, for `exec=@MODE@`. The peer's context is the task's own exec, default local.
   */
  execTypeOf: (task: Task, resolve: (text: string) => string) => string;
}

interface Pattern {
  re: RegExp;
  /** How the pattern is named in messages. */
  name: string;
  /** Extra test on the matched text. */
  keep?: (match: string) => boolean;
}

const INJECTION: Pattern[] = [
  { re: /;\s*rm\b/g, name: '; rm' },
  { re: /;\s*curl\b/g, name: '; curl' },
  { re: /;\s*wget\b/g, name: '; wget' },
  { re: /;\s*cat\b/g, name: '; cat' },
  { re: /\|\s*(?:nc|ncat|netcat)\b/g, name: 'pipe to nc' },
  { re: /\$\([^)]*\)/g, name: 'command substitution $(…)' },
  { re: /`[^`]*`/g, name: 'command substitution `…`' },
  { re: /&&\s*rm\b/g, name: '&& rm' },
  { re: /\|\|\s*curl\b/g, name: '|| curl' },
  { re: />\s*\/dev\//g, name: 'redirection > /dev/' },
  { re: /<\s*\/dev\//g, name: 'redirection < /dev/' },
];

const TRAVERSAL: Pattern[] = [
  { re: /\.\.\//g, name: '../' },
  { re: /\.\.\\/g, name: '..\\' },
  // %2e%2e%2f, ..%2f, %2e%2e/, %2e.%5c … (plain ../ and ..\\ are reported above)
  { re: /(?:%2e|\.)(?:%2e|\.)(?:%2f|%5c|[/\\])/gi, name: 'encoded ../', keep: (t) => t.includes('%') },
  { re: /\/etc\/passwd\b/g, name: '/etc/passwd' },
  { re: /\/etc\/shadow\b/g, name: '/etc/shadow' },
  { re: /\/proc\/version\b/g, name: '/proc/version' },
  { re: /c:\\windows\\/gi, name: 'c:\\windows\\' },
];

const DANGEROUS: Pattern[] = [
  { re: /\brm\s+(?:-[A-Za-z]*(?:r[A-Za-z]*f|f[A-Za-z]*r)[A-Za-z]*|-[rR]\s+-f|-f\s+-[rR])\s+\/(?=\s|\*|$)/g, name: 'rm -rf /' },
  { re: /\bchmod\s+(?:-[A-Za-z]+\s+)*0?777\b/g, name: 'chmod 777' },
  { re: /\bmkfs\.[A-Za-z0-9]*/g, name: 'mkfs.' },
  { re: /\bdd\b[^\n]*?\bof=\/dev\/\S*/g, name: 'dd … of=/dev/' },
];

/** Shell metacharacters rejected in hostnames (all types) and commands (non-shell types). */
const METACHARS = new Set([';', '&', '|', '$', '`', '(', ')', '<', '>', '\\', '"', "'", '\r', '\n']);

const LIMITS = { hostname: 253, command: 4096, arguments: 2000, global: 1024 } as const;
/** The task fields these checks read. */
const CHECKED_FIELDS = ['hostname', 'command', 'arguments'] as const;

const HINT_SHELL = 'use exec=shell if you need shell syntax';
const HINT_TRAVERSAL = 'name files by absolute paths in the directory you mean; --skip-security-validation turns task checks off';
const HINT_DANGEROUS = 'double-check this command: it can destroy data or open up the system';
const HINT_GLOBAL = 'global values are checked even with --skip-security-validation; move the shell syntax into a task with exec=shell';

/** A text with, for every character, the source position it came from (line, column). */
interface Mapped {
  text: string;
  /** Per output char: [line, col, length] of its source (a placeholder maps to its whole span). */
  src: Array<[number, number, number]>;
}

/** Substitute `@NAME@` of globals in a field value, remembering where each character came from. */
function mapSubstitute(value: string, line: number, col: number, lookup: (name: string) => string | undefined): Mapped {
  const out: Mapped = { text: '', src: [] };
  let last = 0;
  for (const m of value.matchAll(/@([A-Za-z0-9_]+)@/g)) {
    const v = lookup(m[1]!);
    if (v === undefined) continue;
    appendLiteral(out, value.slice(last, m.index), line, col + last);
    const resolved = substitute(v, lookup);
    out.text += resolved;
    for (let i = 0; i < resolved.length; i++) out.src.push([line, col + m.index!, m[0].length]);
    last = m.index! + m[0].length;
  }
  appendLiteral(out, value.slice(last), line, col + last);
  return out;
}

function appendLiteral(out: Mapped, text: string, line: number, col: number): void {
  out.text += text;
  for (let i = 0; i < text.length; i++) out.src.push([line, col + i, 1]);
}

/** The source span (on the first line involved) covering output chars [start, end). */
function locate(m: Mapped, start: number, end: number): { line: number; col: number; length: number } {
  const first = m.src[Math.min(start, m.src.length - 1)];
  if (!first) return { line: 0, col: 1, length: 1 };
  let stop = first[1] + first[2];
  for (let i = start; i < end && i < m.src.length; i++) {
    const [l, c, n] = m.src[i]!;
    if (l === first[0]) stop = Math.max(stop, c + n);
  }
  return { line: first[0], col: first[1], length: Math.max(1, stop - first[1]) };
}

function concat(a: Mapped, b: Mapped): Mapped {
  const sep: Array<[number, number, number]> = a.text && b.text ? [a.src[a.src.length - 1]!] : [];
  return { text: a.text && b.text ? `${a.text} ${b.text}` : a.text + b.text, src: [...a.src, ...sep, ...b.src] };
}

function matches(text: string, patterns: Pattern[]): Array<{ start: number; end: number; name: string }> {
  const out: Array<{ start: number; end: number; name: string }> = [];
  for (const p of patterns) {
    for (const m of text.matchAll(p.re)) if (!p.keep || p.keep(m[0])) out.push({ start: m.index!, end: m.index! + m[0].length, name: p.name });
  }
  return out.sort((a, b) => a.start - b.start);
}

/** Injection and path-traversal patterns in a value substituted into a task (host inventory variables). */
export function findValuePatterns(text: string): Array<{ start: number; end: number; name: string; kind: 'injection' | 'traversal' }> {
  return [
    ...matches(text, INJECTION).map((m) => ({ ...m, kind: 'injection' as const })),
    ...matches(text, TRAVERSAL).map((m) => ({ ...m, kind: 'traversal' as const })),
  ].sort((a, b) => a.start - b.start);
}

/** Anything any check below could report starts with one of these; most tasks contain none. */
const SUSPICIOUS = /[\0;&|$`()<>\\"'\r\n]|\.\.|%2e|\/etc\/|\/proc\/|c:\\|\brm\b|chmod|mkfs|\bdd\b/i;

/** Fast path: no suspicious character or word and within the length limits → nothing to report. */
function isPlainlySafe(task: Task, resolve: (text: string) => string): boolean {
  for (const key of CHECKED_FIELDS) {
    const f = task.fields.get(key);
    if (!f) continue;
    const text = f.value.includes('@') ? resolve(f.value) : f.value;
    if (text.length > LIMITS[key] || SUSPICIOUS.test(text)) return false;
  }
  return true;
}

/** Task-field checks (skippable with --skip-security-validation) plus the global checks. */
export function checkSecurity(workflow: Workflow, opts: SecurityOptions): Diagnostic[] {
  return [...checkGlobalsSecurity(workflow), ...checkTaskSecurity(workflow, opts)];
}

/** Per-task checks of hostname, command and arguments. */
export function checkTaskSecurity(workflow: Workflow, opts: SecurityOptions): Diagnostic[] {
  const out: Diagnostic[] = [];
  const lookup = (name: string): string | undefined => workflow.globals.get(name);
  const resolve = (text: string): string => substitute(text, lookup);
  for (const id of workflow.ids) {
    const task = workflow.tasks.get(id)!;
    if (isPlainlySafe(task, resolve)) continue;
    const execType = opts.execTypeOf(task, resolve).trim().toLowerCase();
    const shell = execType === 'shell';
    const mapped: Partial<Record<'hostname' | 'command' | 'arguments', Mapped>> = {};
    for (const key of CHECKED_FIELDS) {
      const f = task.fields.get(key);
      if (!f) continue;
      const m = mapSubstitute(f.value, f.line, f.valueCol, lookup);
      mapped[key] = m;
      const at = (start: number, end: number, code: string, severity: Diagnostic['severity'], message: string, hint?: string): void => {
        out.push({ code, severity, message: `task ${id}: ${message}`, ...locate(m, start, end), ...(hint ? { hint } : {}) });
      };
      const nul = m.text.indexOf('\0');
      if (nul >= 0) at(nul, nul + 1, 'SECURITY_NUL_BYTE', 'error', `${key} contains a NUL byte`);
      if (!f.value.includes('@') && m.text.length > LIMITS[key]) {
        at(LIMITS[key], m.text.length, 'SECURITY_LENGTH', 'error', `${key} is ${m.text.length} characters long; the limit is ${LIMITS[key]}`);
      }
      const injections = key === 'hostname' || !shell ? matches(m.text, INJECTION) : [];
      for (const x of injections) {
        at(x.start, x.end, 'SECURITY_INJECTION', 'error', `${key} contains the injection pattern '${x.name}'`, key === 'hostname' ? undefined : HINT_SHELL);
      }
      if (key === 'hostname' || (key === 'command' && !shell)) {
        const covered = (i: number): boolean => injections.some((x) => i >= x.start && i < x.end);
        const found: number[] = [];
        for (let i = 0; i < m.text.length; i++) if (METACHARS.has(m.text[i]!) && !covered(i)) found.push(i);
        if (found.length > 0) {
          const chars = [...new Set(found.map((i) => m.text[i]!))].map((c) => `\`${JSON.stringify(c).slice(1, -1)}\``).join(', ');
          at(found[0]!, found[0]! + 1, 'SECURITY_METACHAR', 'error', `${key} contains shell metacharacter${found.length > 1 ? 's' : ''} ${chars}`,
            key === 'hostname' ? 'a hostname holds only letters, digits, dots, hyphens and underscores' : `${HINT_SHELL}; a ${execType || 'local'} command runs without a shell`);
        }
      }
      if (key === 'arguments') {
        for (const x of matches(m.text, TRAVERSAL)) {
          at(x.start, x.end, 'SECURITY_TRAVERSAL', 'error', `arguments contain the path traversal pattern '${x.name}'`, HINT_TRAVERSAL);
        }
      }
    }
    const whole = concat(mapped.command ?? { text: '', src: [] }, mapped.arguments ?? { text: '', src: [] });
    for (const x of matches(whole.text, DANGEROUS)) {
      out.push({ code: 'SECURITY_DANGEROUS', severity: 'warning', message: `task ${id}: dangerous command '${x.name}'`, ...locate(whole, x.start, x.end), hint: HINT_DANGEROUS });
    }
  }
  return out;
}

/** Global values after environment expansion: injection and traversal are errors, always. */
export function checkGlobalsSecurity(workflow: Workflow): Diagnostic[] {
  const out: Diagnostic[] = [];
  for (const g of workflow.ast.globals.values()) {
    const value = workflow.globals.get(g.name) ?? g.value;
    // A value changed by $ENV expansion cannot be mapped char by char: point at the whole value then.
    const m: Mapped = value === g.value
      ? mapSubstitute(value, g.line, g.valueCol, () => undefined)
      : { text: value, src: Array.from({ length: value.length }, () => [g.line, g.valueCol, Math.max(1, g.value.length)] as [number, number, number]) };
    const expanded = value === g.value ? '' : ' (after environment expansion)';
    const at = (start: number, end: number, code: string, message: string, hint: string): void => {
      out.push({ code, severity: 'error', message: `global '${g.name}'${expanded}: ${message}`, ...locate(m, start, end), hint });
    };
    const nul = value.indexOf('\0');
    if (nul >= 0) at(nul, nul + 1, 'SECURITY_NUL_BYTE', 'value contains a NUL byte', HINT_GLOBAL);
    if (value.length > LIMITS.global) at(LIMITS.global, value.length, 'SECURITY_LENGTH', `value is ${value.length} characters long; the limit is ${LIMITS.global}`, HINT_GLOBAL);
    for (const x of matches(value, INJECTION)) at(x.start, x.end, 'SECURITY_INJECTION', `value contains the injection pattern '${x.name}'`, HINT_GLOBAL);
    for (const x of matches(value, TRAVERSAL)) at(x.start, x.end, 'SECURITY_TRAVERSAL', `value contains the path traversal pattern '${x.name}'`, HINT_GLOBAL);
  }
  return out;
}
