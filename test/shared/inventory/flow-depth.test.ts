/** The nesting pre-scan: brackets outside quotes and comments, refused past the limit at the offending one. */
import test from 'ava';
import { findExcessiveNesting } from '../../../shared/inventory/flow-depth.js';
import { parseYamlInventory } from '../../../shared/inventory/index.js';

test('counts { and [ outside quotes and comments', (t) => {
  t.is(findExcessiveNesting('{"a": [1, {"b": 2}]}', 2), 10);
  t.is(findExcessiveNesting('{"a": [1, {"b": 2}]}', 3), -1);
  t.is(findExcessiveNesting('a: "{{{{{{"\nb: \'[[[[\'\n# {{{{{{\nc: x #{{{{\n', 2), -1, 'quoted and commented brackets do not count');
  t.is(findExcessiveNesting('a: "\\"{"\n{{{', 2), 11, 'an escaped quote does not end the string');
  t.is(findExcessiveNesting('{}{}{}{}{}', 1), -1, 'siblings are not nesting');
});

test('a YAML inventory nested past the limit is one positioned error, before the YAML parser runs', (t) => {
  const text = `${'{"g": {"children":\n'.repeat(600)}null${'}}\n'.repeat(600)}`;
  const { diagnostics } = parseYamlInventory(text, 'deep.json');
  t.deepEqual(diagnostics.map((d) => [d.code, d.line, d.col]), [['NESTING_TOO_DEEP', 501, 1]]);
});
