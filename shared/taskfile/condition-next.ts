/** Parsing of `next` values: always | never | loop | loop&COND | any condition. */
import { suggest } from './diagnostics.js';
import type { ConditionDiagnostic, NextSpec } from './condition-ast.js';
import { parseCondition, parseConditionAt } from './condition-parser.js';

const NEXT_WORDS = ['always', 'never', 'loop'];

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
    const parsed = parseConditionAt(text, loop[0].length, "'loop&' needs a condition after the '&'");
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
