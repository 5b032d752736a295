/**
 * Recursive-descent parser for the condition language:
 *
 *     or    := and ('|' and)*
 *     and   := unary ('&' unary)*
 *     unary := '(' or ')' | atom
 *
 * It scans characters directly (atom operands are context dependent: a pattern runs to the next
 * `&`, `|` or unbalanced `)`), never throws, and keeps going after an error so one pass reports
 * every problem.
 */
import { suggest } from './diagnostics.js';
import type {
  CompareOperator,
  ConditionDiagnostic,
  ConditionNode,
  CountOperator,
  NextSpec,
  ParsedCondition,
  StreamName,
} from './condition-ast.js';

const NEXT_WORDS = ['always', 'never', 'loop'];

/** Block outcome rules (type=parallel/conditional); they are not conditions of a single result. */
const BLOCK_RULES = /^(all_success|any_success|majority_success|min_success|max_success|min_failed|max_failed|success_threshold)$/;

/** Deeper nesting than this is reported instead of risking the call stack. */
const MAX_DEPTH = 200;

const OPERATORS = ['!~', '!=', '<=', '>=', '==', '=', '~', '<', '>'] as const;
type ScannedOperator = (typeof OPERATORS)[number];

const COUNT_OPERATORS: readonly string[] = ['=', '<', '>', '<=', '>='];

const KNOWN_HINT =
  'conditions are exit_N, exit_not_0, success, true, false, stdout~TEXT, stdout!~TEXT, stdout~ (empty), ' +
  'stdout_count=N, @VAR@=VALUE (stderr works like stdout), combined with & and | and grouped with ( )';

/** Heads that can stand before an operator, for suggestions. */
const OPERATOR_HEADS = ['exit', 'stdout', 'stderr', 'stdout_count', 'stderr_count'];
/** Complete atoms, for suggestions. */
const BARE_WORDS = ['exit_not_0', 'success', 'true', 'false', 'stdout', 'stderr', 'stdout_count', 'stderr_count', 'exit'];

/** Words that start a condition; used to tell a textual AND/OR operator from text inside a pattern. */
const CONDITION_START = /^(?:[(@]|(?:exit|stdout|stderr|success|true|false|not|contains|not_contains)(?![A-Za-z]))/i;

interface Operand {
  value: string;
  start: number;
  end: number;
}

function isSpace(c: string | undefined): boolean {
  return c === ' ' || c === '\t' || c === '\n' || c === '\r' || c === '\f' || c === '\v';
}

class ConditionParser {
  readonly diagnostics: ConditionDiagnostic[] = [];
  private pos: number;
  private depth = 0;

  constructor(
    private readonly text: string,
    start: number,
  ) {
    this.pos = start;
  }

  parse(): ConditionNode | null {
    this.skipSpace();
    if (this.pos >= this.text.length) return null;
    const node = this.parseOr();
    this.skipSpace();
    // parseOr only stops early at a ')' that closes nothing, and reports it itself.
    return node;
  }

  private error(code: string, offset: number, length: number, message: string, hint?: string): void {
    this.push('error', code, offset, length, message, hint);
  }

  push(severity: 'error' | 'warning', code: string, offset: number, length: number, message: string, hint?: string): void {
    const at = Math.max(0, Math.min(offset, this.text.length));
    const len = Math.max(0, Math.min(length, this.text.length - at));
    const d: ConditionDiagnostic = { code, severity, message, offset: at, length: len };
    if (hint !== undefined) d.hint = hint;
    this.diagnostics.push(d);
  }

  private skipSpace(): void {
    while (this.pos < this.text.length && isSpace(this.text[this.pos])) this.pos++;
  }

  private peek(): string | undefined {
    return this.text[this.pos];
  }

  /** A textual `AND`/`OR` (any case) at the current position, standing where an operator belongs. */
  private textualOperator(): 'and' | 'or' | null {
    const m = /^(and|or)(?![A-Za-z0-9_@])/i.exec(this.text.slice(this.pos, this.pos + 4));
    return m ? (m[1]!.toLowerCase() as 'and' | 'or') : null;
  }

  /**
   * Inside an unquoted operand, only an upper-case ` AND `/` OR ` followed by something that
   * starts a condition is taken as a misspelt operator; `stdout=yes or no` stays text.
   */
  private strictTextualAt(i: number): boolean {
    if (!isSpace(this.text[i - 1])) return false;
    const m = /^(AND|OR)\s+/.exec(this.text.slice(i, i + 16));
    return m !== null && CONDITION_START.test(this.text.slice(i + m[0].length, i + m[0].length + 14));
  }

  private join(kind: 'or' | 'and', children: ConditionNode[]): ConditionNode | null {
    if (children.length === 0) return null;
    if (children.length === 1) return children[0]!;
    const flat: ConditionNode[] = [];
    for (const c of children) {
      if (c.kind === kind) flat.push(...c.children);
      else flat.push(c);
    }
    return { kind, children: flat, start: children[0]!.start, end: children[children.length - 1]!.end };
  }

  /** After an operator at `opStart`: report doubled (`&&`, `&|`) and dangling operators. Returns false when no operand follows. */
  private afterOperator(opStart: number, opText: string): boolean {
    this.skipSpace();
    const c = this.peek();
    if (c === '&' || c === '|') {
      this.error(
        'DOUBLE_OPERATOR',
        opStart,
        this.pos + 1 - opStart,
        `'${opText}${c}' is not an operator`,
        "use a single '&' for AND and a single '|' for OR",
      );
      this.pos++;
      this.skipSpace();
    }
    const next = this.peek();
    if (next === undefined || next === ')') {
      this.error('MISSING_OPERAND', opStart, opText.length, `'${opText}' has no condition after it`, `remove the '${opText}' or add a condition after it`);
      return false;
    }
    return true;
  }

  private parseOr(): ConditionNode | null {
    const children: ConditionNode[] = [];
    for (;;) {
      const child = this.parseAnd();
      if (child) children.push(child);
      this.skipSpace();
      const c = this.peek();
      if (c === '|') {
        const at = this.pos++;
        if (!this.afterOperator(at, '|')) break;
        continue;
      }
      if (this.textualOperator() === 'or') {
        const at = this.pos;
        this.error('TEXTUAL_OPERATOR', at, 2, `'${this.text.slice(at, at + 2)}' is not an operator`, "use '|' for OR");
        this.pos += 2;
        if (!this.afterOperator(at, this.text.slice(at, at + 2))) break;
        continue;
      }
      break;
    }
    return this.join('or', children);
  }

  private parseAnd(): ConditionNode | null {
    const children: ConditionNode[] = [];
    let expectOperand = true;
    for (;;) {
      if (expectOperand) {
        const child = this.parseUnary();
        if (child) children.push(child);
      }
      expectOperand = true;
      this.skipSpace();
      while (this.peek() === ')' && this.depth === 0) {
        this.error('UNEXPECTED_CLOSE_PAREN', this.pos, 1, "')' closes nothing", "remove it or add the matching '('");
        this.pos++;
        this.skipSpace();
      }
      const c = this.peek();
      if (c === '&') {
        const at = this.pos++;
        if (!this.afterOperator(at, '&')) break;
        continue;
      }
      const word = this.textualOperator();
      if (word === 'and') {
        const at = this.pos;
        this.error('TEXTUAL_OPERATOR', at, 3, `'${this.text.slice(at, at + 3)}' is not an operator`, "use '&' for AND");
        this.pos += 3;
        if (!this.afterOperator(at, this.text.slice(at, at + 3))) break;
        continue;
      }
      if (c === undefined || c === '|' || c === ')' || word === 'or') break;
      // Something follows a complete condition without an operator in between: report it and
      // skip to the next operator rather than reporting every word of it.
      const at = this.pos;
      let wordEnd = at;
      while (wordEnd < this.text.length && !isSpace(this.text[wordEnd]) && !'&|()'.includes(this.text[wordEnd]!)) wordEnd++;
      let end = at;
      let depth = 0;
      for (; end < this.text.length; end++) {
        const ch = this.text[end]!;
        if (ch === '&' || ch === '|') break;
        if (ch === '(') depth++;
        else if (ch === ')' && depth-- === 0) break;
        else if (ch === '"' || ch === "'") {
          const close = this.text.indexOf(ch, end + 1);
          if (close > 0) end = close;
        }
      }
      this.pos = end;
      expectOperand = false;
      while (end > at && isSpace(this.text[end - 1])) end--;
      this.error(
        'MISSING_OPERATOR',
        at,
        end - at,
        `expected '&', '|' or ')' before '${this.text.slice(at, Math.max(wordEnd, at + 1))}'`,
        "join conditions with '&' (and) or '|' (or); quote a pattern that contains spaces and operators",
      );
    }
    return this.join('and', children);
  }

  private parseUnary(): ConditionNode | null {
    this.skipSpace();
    const start = this.pos;
    const c = this.peek();
    if (c === undefined) return null;
    if (c === '&' || c === '|') {
      this.error('MISSING_OPERAND', start, 1, `'${c}' has no condition before it`, `remove the '${c}' or add a condition before it`);
      return null;
    }
    if (c === ')') return null;
    const not = /^not(?=[\s(])/i.exec(this.text.slice(start, start + 4));
    if (not) {
      this.error(
        'TEXTUAL_OPERATOR',
        start,
        3,
        `'${not[0]}' is not an operator`,
        'there is no NOT: use exit_not_0, stdout!~TEXT or != instead',
      );
      this.pos += 3;
      this.skipSpace();
      if (this.pos >= this.text.length) return null;
      return this.parseUnary();
    }
    if (c === '!' && this.text[start + 1] !== '~' && this.text[start + 1] !== '=') {
      this.error('UNEXPECTED_CHARACTER', start, 1, "unexpected '!'", 'negate with exit_not_0, stdout!~TEXT or !=');
      this.pos++;
      this.skipSpace();
      const next = this.peek();
      if (next === undefined || next === '&' || next === '|' || next === ')') return null;
      return this.parseUnary();
    }
    if (c === '(') return this.parseGroup();
    return this.parseAtom();
  }

  private parseGroup(): ConditionNode | null {
    const open = this.pos++;
    if (this.depth >= MAX_DEPTH) {
      this.error('NESTING_TOO_DEEP', open, 1, `parentheses nest deeper than ${MAX_DEPTH} levels`);
      this.pos = this.text.length;
      return null;
    }
    this.skipSpace();
    if (this.peek() === ')') {
      this.error('EMPTY_PARENS', open, this.pos + 1 - open, "'()' contains no condition");
      this.pos++;
      return null;
    }
    this.depth++;
    const inner = this.parseOr();
    this.depth--;
    this.skipSpace();
    if (this.peek() === ')') {
      this.pos++;
      if (!inner) return null;
      return { ...inner, start: open, end: this.pos };
    }
    this.error('UNCLOSED_PAREN', open, 1, `missing ')' for the '(' opened at column ${open + 1}`, "add the closing ')'");
    if (!inner) return null;
    return { ...inner, start: open };
  }

  /** Characters that end a head (the part before an operator). */
  private isHeadChar(i: number): boolean {
    const c = this.text[i];
    return c !== undefined && !isSpace(c) && !'&|()~=<>!'.includes(c);
  }

  private readOperator(): ScannedOperator | null {
    for (const op of OPERATORS) {
      if (this.text.startsWith(op, this.pos)) {
        this.pos += op.length;
        return op;
      }
    }
    return null;
  }

  /** An operand: a quoted string, or text up to `&`, `|` or an unbalanced `)`, trimmed. */
  private readOperand(): Operand {
    this.skipSpace();
    const q = this.peek();
    if (q === '"' || q === "'") return this.readQuoted(q);
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

  private readQuoted(q: string): Operand {
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
      const tail = this.readOperand();
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

  private parseAtom(): ConditionNode | null {
    const start = this.pos;
    const legacy = /^(not_)?contains:/i.exec(this.text.slice(start, start + 13));
    if (legacy) {
      this.pos += legacy[0].length;
      const operand = this.readOperand();
      return { kind: 'legacyContains', negated: legacy[1] !== undefined, pattern: operand.value, start, end: Math.max(operand.end, start + legacy[0].length) };
    }
    while (this.isHeadChar(this.pos)) this.pos++;
    const headEnd = this.pos;
    const head = this.text.slice(start, headEnd);
    this.skipSpace();
    const opStart = this.pos;
    const op = this.readOperator();
    if (op === null && head === '') {
      // Only a '!' that starts neither '!~' nor '!=' gets here.
      this.pos = start + 1;
      this.error('UNEXPECTED_CHARACTER', start, 1, `unexpected '${this.text[start]}'`, 'negate with exit_not_0, stdout!~TEXT or !=');
      return null;
    }
    if (op === null) {
      this.pos = headEnd;
      return this.classifyBare(head, start, headEnd);
    }
    const operand = this.readOperand();
    const end = Math.max(operand.end, opStart + op.length);
    if (head === '') {
      this.error('MISSING_OPERAND', opStart, op.length, `'${op}' has nothing on its left`, 'write LEFT' + op + 'RIGHT, e.g. @0_exit@' + op + '0 or stdout' + op + 'TEXT');
      return null;
    }
    return this.classifyOperator(head, op, opStart, operand, start, end);
  }

  private classifyBare(head: string, start: number, end: number): ConditionNode | null {
    const lower = head.toLowerCase();
    const exit = /^exit_(\d+)$/.exec(lower);
    if (exit) {
      const code = Number(exit[1]);
      if (code > 255) {
        this.push('warning', 'EXIT_CODE_RANGE', start, end - start, `exit codes are 0 to 255, so '${head}' is never true`);
      }
      return { kind: 'exit', code, start, end };
    }
    switch (lower) {
      case 'exit_not_0':
        return { kind: 'exitNot0', start, end };
      case 'success':
        return { kind: 'success', start, end };
      case 'true':
      case 'false':
        return { kind: 'literal', value: lower === 'true', start, end };
      case 'exit':
        this.error('INCOMPLETE_CONDITION', start, end - start, `'${head}' needs a code`, 'write exit_0, exit_N or exit_not_0');
        return null;
      case 'stdout':
      case 'stderr':
        this.error(
          'INCOMPLETE_CONDITION',
          start,
          end - start,
          `'${head}' needs an operator`,
          `write ${lower}~TEXT (contains), ${lower}!~TEXT (does not contain), ${lower}~ (empty) or ${lower}=TEXT`,
        );
        return null;
      case 'stdout_count':
      case 'stderr_count':
        this.error('INCOMPLETE_CONDITION', start, end - start, `'${head}' needs an operator and a number`, `write ${lower}=N, ${lower}>N or ${lower}<N`);
        return null;
    }
    if (BLOCK_RULES.test(lower)) {
      this.blockRule(head, start, end);
      return null;
    }
    if (head.includes('@')) return { kind: 'truthy', text: head, start, end };
    const digits = /(\d+)$/.exec(head);
    const candidates = digits ? [`exit_${digits[1]}`, ...BARE_WORDS] : BARE_WORDS;
    this.unknown(head, head, candidates, '', start, end);
    return null;
  }

  private blockRule(atom: string, start: number, end: number): void {
    this.error(
      'BLOCK_CONDITION',
      start,
      end - start,
      `'${atom}' is a block rule, not a condition`,
      'block rules (all_success, any_success, majority_success, min_success=N, …) apply only to type=parallel and type=conditional tasks',
    );
  }

  private unknown(atom: string, head: string, candidates: readonly string[], rest: string, start: number, end: number): void {
    const better = suggest(head, candidates);
    if (better !== undefined) {
      this.error('UNKNOWN_CONDITION', start, end - start, `'${atom}' is not a condition; did you mean '${better}${rest}'?`);
    } else {
      this.error('UNKNOWN_CONDITION', start, end - start, `'${atom}' is not a condition`, KNOWN_HINT);
    }
  }

  private classifyOperator(
    head: string,
    scanned: ScannedOperator,
    opStart: number,
    operand: Operand,
    start: number,
    end: number,
  ): ConditionNode | null {
    const lower = head.toLowerCase();
    let op: CompareOperator;
    if (scanned === '==') {
      this.error('DOUBLE_EQUALS', opStart, 2, "'==' is not an operator", "use a single '=' to compare");
      op = '=';
    } else {
      op = scanned;
    }
    if (lower === 'stdout' || lower === 'stderr') {
      if (op === '~' || op === '!~') {
        return { kind: 'stream', stream: lower, negated: op === '!~', pattern: operand.value, start, end };
      }
      return { kind: 'compare', subject: lower, left: lower, op, right: operand.value, start, end };
    }
    const count = /^(stdout|stderr)_count$/.exec(lower);
    if (count) {
      const stream = count[1] as StreamName;
      if (!COUNT_OPERATORS.includes(op)) {
        this.error('BAD_COUNT_OPERATOR', opStart, scanned.length, `'${head}' cannot use '${scanned}'`, `use one of = < > <= >=, e.g. ${lower}>=3`);
        return null;
      }
      const value = operand.value.trim();
      if (!/^\d+$/.test(value) && !value.includes('@')) {
        this.error(
          'BAD_COUNT_OPERAND',
          operand.start,
          operand.end - operand.start,
          value === '' ? `'${head}${scanned}' needs a number` : `'${value}' is not a line count`,
          `write a whole number of lines, e.g. ${lower}${op}3`,
        );
        return null;
      }
      return { kind: 'count', stream, op: op as CountOperator, value, start, end };
    }
    if (lower === 'exit') {
      if (op === '=' && scanned === '=' && /^\d+$/.test(operand.value.trim())) {
        const n = operand.value.trim();
        this.error('EXIT_COMPARISON', start, end - start, `'${this.text.slice(start, end)}' is not a condition; use exit_${Number(n)}`, `write exit_${Number(n)} to test the exit code`);
        return null;
      }
      return { kind: 'compare', subject: 'exit', left: 'exit', op, right: operand.value, start, end };
    }
    if (head.includes('@')) return { kind: 'compare', subject: 'text', left: head, op, right: operand.value, start, end };
    if (BLOCK_RULES.test(lower)) {
      this.blockRule(this.text.slice(start, end), start, end);
      return null;
    }
    const atom = this.text.slice(start, end);
    if (/^exit_(\d+|not_0)$/.test(lower)) {
      this.error('UNKNOWN_CONDITION', start, end - start, `'${atom}' is not a condition; '${head}' takes no operator`, `write ${head} alone, or compare a variable such as @0_exit@${op}VALUE`);
      return null;
    }
    if (suggest(head, OPERATOR_HEADS) !== undefined) {
      this.unknown(atom, head, OPERATOR_HEADS, atom.slice(head.length), start, end);
      return null;
    }
    return { kind: 'compare', subject: 'text', left: head, op, right: operand.value, start, end };
  }
}

function finish(parser: ConditionParser, ast: ConditionNode | null): ParsedCondition {
  const failed = parser.diagnostics.some((d) => d.severity === 'error');
  return { ast: failed ? null : ast, diagnostics: parser.diagnostics };
}

function parseFrom(text: string, start: number, emptyMessage: string): ParsedCondition {
  const parser = new ConditionParser(text, start);
  const ast = parser.parse();
  if (ast === null && parser.diagnostics.length === 0) {
    parser.push('error', 'EMPTY_CONDITION', start, text.length - start, emptyMessage, 'write a condition such as exit_0');
  }
  return finish(parser, ast);
}

/** Parse a condition (`exit_0&(stdout~ok|stderr~)`); never throws. */
export function parseCondition(text: string): ParsedCondition {
  return parseFrom(text, 0, 'the condition is empty');
}

/** Parse a `next` value: always | never | loop | loop&COND | any condition; never throws. */
export function parseNext(text: string): { next: NextSpec | null; diagnostics: ConditionDiagnostic[] } {
  const word = text.trim().toLowerCase();
  if (word === 'always') return { next: { kind: 'always' }, diagnostics: [] };
  if (word === 'never') return { next: { kind: 'never' }, diagnostics: [] };
  if (word === 'loop') return { next: { kind: 'loop', condition: null }, diagnostics: [] };
  const loop = /^\s*loop\s*&/i.exec(text);
  if (loop) {
    if (text.slice(loop[0].length).trim() === '') {
      const amp = loop[0].length - 1;
      const d: ConditionDiagnostic = {
        code: 'MISSING_OPERAND',
        severity: 'error',
        message: "'loop&' needs a condition after the '&'",
        offset: amp,
        length: 1,
        hint: "write loop&CONDITION (e.g. loop&exit_0), or just 'loop'",
      };
      return { next: null, diagnostics: [d] };
    }
    const parsed = parseFrom(text, loop[0].length, "'loop&' needs a condition after the '&'");
    return { next: parsed.ast ? { kind: 'loop', condition: parsed.ast } : null, diagnostics: parsed.diagnostics };
  }
  const parsed = parseCondition(text);
  for (const d of parsed.diagnostics) {
    const flagged = text.slice(d.offset, d.offset + d.length).trim().toLowerCase();
    if (d.code === 'UNKNOWN_CONDITION' && NEXT_WORDS.includes(flagged)) {
      d.message = `'${flagged}' cannot be combined with a condition here`;
      d.hint = "'always' and 'never' stand alone; 'loop' stands alone or as loop&CONDITION";
    }
  }
  const [only] = parsed.diagnostics;
  if (parsed.diagnostics.length === 1 && only!.code === 'UNKNOWN_CONDITION' && !only!.message.includes('did you mean')) {
    // A misspelt `always`/`never`/`loop` rather than a misspelt condition.
    const better = suggest(text.trim(), NEXT_WORDS);
    if (better !== undefined) only!.message += `; did you mean '${better}'?`;
  }
  return { next: parsed.ast ? { kind: 'condition', condition: parsed.ast } : null, diagnostics: parsed.diagnostics };
}
