/**
 * Control characters made visible before text reaches a terminal: ESC, BEL, CR and the other C0
 * characters (but newline and tab), DEL, and the C1 range U+0080–U+009F, which some terminals
 * obey as ESC sequences. Log files and JSON keep the bytes; only what is shown is escaped.
 */

const CONTROL = /[\x00-\x08\x0b-\x1f\x7f-\x9f]/;
const CONTROL_ALL = /[\x00-\x08\x0b-\x1f\x7f-\x9f]/g;

/** The visible form of one control character: `\x1b`, `\r`, `\u009b`. */
export function escapeControlChar(c: string): string {
  const n = c.charCodeAt(0);
  if (n === 0x0d) return '\\r';
  const hex = n.toString(16).padStart(2, '0');
  return n < 0x80 ? `\\x${hex}` : `\\u00${hex}`;
}

/** `text` with every control character but newline and tab written as an escape. */
export function escapeControlChars(text: string): string {
  return CONTROL.test(text) ? text.replace(CONTROL_ALL, escapeControlChar) : text;
}
