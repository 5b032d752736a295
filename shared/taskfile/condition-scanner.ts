import type { ConditionDiagnostic } from './condition-ast.js';
import { OPERATORS, type Operand, type Report, type ScannedOperator } from './condition-atoms.js';

/**
 * Diagnostics kept per condition: a 1 MiB line of `!` or `a&a&…` would otherwise give a million of
 * them (and sixteen such lines exhaust the heap). Past the cap warnings are counted, the first error
 * is still kept (the condition must fail), and one last warning says how many were not kept.
 */
const MAX_DIAGNOSTICS = 100;

/** Words that start a condition; used to tell a textual AND/OR operator from text inside a pattern. */
const CONDITION_START = /^(?:[(@]|(?:exit|stdout|stderr|success|true|false|not|contains|not_contains)(?![A-Za-z]))/i;

export function isSpace(c: string | undefined): boolean {
  return c === ' ' || c === '\t' || c === '\n' || c === '\r' || c === '\f' || c === '\v';
}

/**
 * The condition parser's lexical half: the text and position, the capped diagnostics, and the
 * readers for spaces, operators and operands (quoted or bare). The grammar is in condition-parser.ts.
 */
export abstract class ConditionScanner {
  readonly diagnostics: ConditionDiagnostic[] = [];
  protected pos: number;
  private errorKept = false;
  private dropped = 0;
  private droppedAt = 0;

  constructor(
    protected readonly text: string,
    start: number,
  ) {
    this.pos = start;
  }

  protected error(code: string, offset: number, length: number, message: string, hint?: string): void {
    this.push('error', code, offset, length, message, hint);
  }

  readonly report: Report = (severity, code, offset, length, message, hint) => this.push(severity, code, offset, length, message, hint);

  push(severity: 'error' | 'warning', code: string, offset: number, length: number, message: string, hint?: string): void {
    const at = Math.max(0, Math.min(offset, this.text.length));
    if (this.diagnostics.length >= MAX_DIAGNOSTICS && (severity === 'warning' || this.errorKept)) {
      if (this.dropped++ === 0) this.droppedAt = at;
      return;
    }
    const len = Math.max(0, Math.min(length, this.text.length - at));
    const d: ConditionDiagnostic = { code, severity, message, offset: at, length: len };
    if (hint !== undefined) d.hint = hint;
    this.diagnostics.push(d);
    this.errorKept ||= severity === 'error';
  }

  /** After parsing: one warning for the diagnostics past the cap, if any. */
  noteDropped(): void {
    if (this.dropped === 0) return;
    this.diagnostics.push({
      code: 'TOO_MANY_DIAGNOSTICS', severity: 'warning', offset: this.droppedAt, length: 1,
      message: `${this.dropped} more problem(s) in this condition were not reported`, hint: 'fix the problems reported first',
    });
  }

  protected skipSpace(): void {
    while (this.pos < this.text.length && isSpace(this.text[this.pos])) this.pos++;
  }

  protected peek(): string | undefined {
    return this.text[this.pos];
  }

  /** A textual `AND`/`OR` (any case) at the current position, standing where an operator belongs. */
  protected textualOperator(): 'and' | 'or' | null {
    const m = /^(and|or)(?![A-Za-z0-9_@])/i.exec(this.text.slice(this.pos, this.pos + 4));
    return m ? (m[1]!.toLowerCase() as 'and' | 'or') : null;
  }

  /**
   * Inside an unquoted operand, only an upper-case ` AND `/` OR ` followed by something that
   * starts a condition is taken as a misspelt operator; `stdout=yes or no` stays text.
   */
  protected strictTextualAt(i: number): boolean {
    if (!isSpace(this.text[i - 1])) return false;
    const m = /^(AND|OR)\s+/.exec(this.text.slice(i, i + 16));
    return m !== null && CONDITION_START.test(this.text.slice(i + m[0].length, i + m[0].length + 14));
  }

  /** Characters that end a head (the part before an operator). */
  protected isHeadChar(i: number): boolean {
    const c = this.text[i];
    return c !== undefined && !isSpace(c) && !'&|()~=<>!'.includes(c);
  }

  protected readOperator(): ScannedOperator | null {
    for (const op of OPERATORS) {
      if (this.text.startsWith(op, this.pos)) {
        this.pos += op.length;
        return op;
      }
    }
    return null;
  }

  /**
   * An operand: a quoted string, or text up to `&`, `|` or an unbalanced `)`, trimmed. `quoted`
   * false reads quotes as text (the tail after a quoted string: reading it as another quoted string
   * would recurse once per quote pair, and a long run of quotes would overflow the stack).
   */
  protected readOperand(quoted = true): Operand {
    this.skipSpace();
    const q = this.peek();
    if (quoted && (q === '"' || q === "'")) return this.readQuoted(q);
    const start = this.pos;
    let i = start;
    let depth = 0;
    for (; i < this.text.length; i++) {
      const c = this.text[i]!;
      if (c === '&' || c === '|') break;
      if (c === '(') depth++;
      else if (c === ')') {
        if (depth === 0) break;
        depth--;
      } else if ((c === 'A' || c === 'O') && this.strictTextualAt(i)) break;
    }
    let end = i;
    while (end > start && isSpace(this.text[end - 1])) end--;
    this.pos = i;
    return { value: this.text.slice(start, end), start, end };
  }

  protected readQuoted(q: string): Operand {
    const start = this.pos;
    let value = '';
    let i = start + 1;
    for (; i < this.text.length; i++) {
      const c = this.text[i]!;
      if (c === q) break;
      if (c === '\\' && q === '"' && (this.text[i + 1] === '"' || this.text[i + 1] === '\\')) {
        value += this.text[++i];
        continue;
      }
      value += c;
    }
    if (i >= this.text.length) {
      this.error('UNTERMINATED_QUOTE', start, this.text.length - start, `the ${q === '"' ? 'double' : 'single'} quote opened at column ${start + 1} is never closed`, `add the closing ${q}`);
      this.pos = this.text.length;
      return { value, start, end: this.text.length };
    }
    this.pos = i + 1;
    const end = this.pos;
    this.skipSpace();
    const c = this.peek();
    if (c !== undefined && c !== '&' && c !== '|' && c !== ')' && this.textualOperator() === null) {
      const rest = this.pos;
      const tail = this.readOperand(false);
      this.error(
        'UNEXPECTED_TEXT',
        rest,
        Math.max(1, tail.end - rest),
        `unexpected text after the quoted string: '${this.text.slice(rest, Math.max(tail.end, rest + 1))}'`,
        'put the whole pattern inside the quotes',
      );
    } else {
      this.pos = end;
    }
    return { value, start, end };
  }
}
