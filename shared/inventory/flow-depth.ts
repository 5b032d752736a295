/**
 * A linear pre-scan of YAML/JSON text for `{`/`[` nesting, so a hostile file (100,000 levels of
 * flow mappings) is refused at once instead of being handed to the YAML parser, which spends
 * seconds and hundreds of MB before its stack gives out. Quotes and `#` comments are skipped;
 * block-style nesting needs indentation, which the line and file limits already bound.
 */

/** Deeper than any inventory needs (Ansible's own examples nest a handful of levels). */
export const MAX_FLOW_DEPTH = 1000;

/** The offset of the first bracket past `limit` levels, or -1. */
export function findExcessiveNesting(text: string, limit = MAX_FLOW_DEPTH): number {
  let depth = 0;
  let quote = 0; // the quote char code we are inside, or 0
  for (let i = 0; i < text.length; i++) {
    const c = text.charCodeAt(i);
    if (quote !== 0) {
      if (c === 0x5c /* \ */ && quote === 0x22) i++;
      else if (c === quote || c === 0x0a) quote = 0;
    } else if (c === 0x22 || c === 0x27) quote = c;
    else if (c === 0x23 /* # */ && (i === 0 || text.charCodeAt(i - 1) <= 0x20)) {
      const nl = text.indexOf('\n', i);
      if (nl < 0) break;
      i = nl;
    } else if (c === 0x7b || c === 0x5b) {
      if (++depth > limit) return i;
    } else if ((c === 0x7d || c === 0x5d) && depth > 0) depth--;
  }
  return -1;
}
