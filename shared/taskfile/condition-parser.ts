/**
 * Recursive-descent parser for the condition language:
 *
 *     or    := and ('|' and)*
 *     and   := unary ('&' unary)*
 *     unary := '(' or ')' | atom
 *
 * It scans characters directly (atom operands are context dependent: a pattern runs to the next
 * `&`, `|` or unbalanced `)`), never throws, and keeps going after an error so one pass reports
 * every problem. The scanning (operands, quotes, capped diagnostics) is in condition-scanner.ts.
 */
import type { ConditionNode, ParsedCondition } from './condition-ast.js';
import { classifyBare, classifyOperator } from './condition-atoms.js';
import { ConditionScanner, isSpace } from './condition-scanner.js';

/** Deeper nesting than this is reported instead of risking the call stack. */
const MAX_DEPTH = 200;

class ConditionParser extends ConditionScanner {
  private depth = 0;
  /** Set by NESTING_TOO_DEEP: the rest of the text is skipped, and the open groups report nothing more. */
  private abandoned = false;

  parse(): ConditionNode | null {
    this.skipSpace();
    if (this.pos >= this.text.length) return null;
    const node = this.parseOr();
    this.skipSpace();
    // parseOr only stops early at a ')' that closes nothing, and reports it itself.
    return node;
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
    // A run of NOTs or stray '!'s is a loop, not a recursion: a line of them must not reach the stack limit.
    for (;;) {
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
        continue;
      }
      if (c === '!' && this.text[start + 1] !== '~' && this.text[start + 1] !== '=') {
        this.error('UNEXPECTED_CHARACTER', start, 1, "unexpected '!'", 'negate with exit_not_0, stdout!~TEXT or !=');
        this.pos++;
        this.skipSpace();
        const next = this.peek();
        if (next === undefined || next === '&' || next === '|' || next === ')') return null;
        continue;
      }
      if (c === '(') return this.parseGroup();
      return this.parseAtom();
    }
  }

  private parseGroup(): ConditionNode | null {
    const open = this.pos++;
    if (this.depth >= MAX_DEPTH) {
      this.error('NESTING_TOO_DEEP', open, 1, `parentheses nest deeper than ${MAX_DEPTH} levels`, 'split the condition, or remove parentheses that group a single condition');
      this.pos = this.text.length;
      this.abandoned = true;
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
    // Past NESTING_TOO_DEEP the text was skipped: the groups around it are not "unclosed".
    if (this.abandoned) return null;
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
      return classifyBare(this.report, head, start, headEnd);
    }
    const operand = this.readOperand();
    const end = Math.max(operand.end, opStart + op.length);
    if (head === '') {
      this.error('MISSING_OPERAND', opStart, op.length, `'${op}' has nothing on its left`, 'write LEFT' + op + 'RIGHT, e.g. @0_exit@' + op + '0 or stdout' + op + 'TEXT');
      return null;
    }
    return classifyOperator(this.report, this.text, head, op, opStart, operand, start, end);
  }
}

function finish(parser: ConditionParser, ast: ConditionNode | null): ParsedCondition {
  parser.noteDropped();
  const failed = parser.diagnostics.some((d) => d.severity === 'error');
  return { ast: failed ? null : ast, diagnostics: parser.diagnostics };
}

/** Parse the condition that starts at `start`; offsets stay relative to the whole text. */
export function parseConditionAt(text: string, start: number, emptyMessage: string): ParsedCondition {
  const parser = new ConditionParser(text, start);
  const ast = parser.parse();
  if (ast === null && parser.diagnostics.length === 0) {
    parser.push('error', 'EMPTY_CONDITION', start, text.length - start, emptyMessage, 'write a condition such as exit_0');
  }
  return finish(parser, ast);
}

/** Parse a condition (`exit_0&(stdout~ok|stderr~)`); never throws. */
export function parseCondition(text: string): ParsedCondition {
  return parseConditionAt(text, 0, 'the condition is empty');
}
