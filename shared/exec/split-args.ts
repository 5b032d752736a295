/** Result of {@link splitArgs}: the words, or an error naming the column (1-based) of the problem. */
export interface SplitResult {
  args: string[];
  error?: string;
}

const BLANK = new Set([' ', '\t', '\n', '\r']);
/** Characters a backslash escapes inside double quotes (POSIX); before anything else it stays literal. */
const DQ_ESCAPABLE = new Set(['"', '\\', '$', '`']);

/**
 * Split text into words like a POSIX shell does, without any expansion: blanks separate words;
 * '…' is literal; "…" honours \" \\ \$ \` and backslash-newline; outside quotes a backslash
 * escapes the next character (backslash-newline is removed). No globbing, no $variables, no
 * operators: `;`, `|`, `*` are ordinary characters. `''` yields an empty word.
 */
export function splitArgs(text: string): SplitResult {
  const args: string[] = [];
  let word = '';
  let inWord = false;
  let i = 0;
  const n = text.length;
  while (i < n) {
    const c = text[i]!;
    if (BLANK.has(c)) {
      if (inWord) args.push(word);
      word = '';
      inWord = false;
      i++;
      continue;
    }
    const wasInWord: boolean = inWord;
    inWord = true;
    if (c === "'") {
      const close = text.indexOf("'", i + 1);
      if (close < 0) return { args, error: `unterminated single quote starting at column ${i + 1}` };
      word += text.slice(i + 1, close);
      i = close + 1;
    } else if (c === '"') {
      const start = i;
      i++;
      let closed = false;
      while (i < n) {
        const d = text[i]!;
        if (d === '"') {
          closed = true;
          i++;
          break;
        }
        if (d === '\\' && i + 1 < n) {
          const next = text[i + 1]!;
          if (next === '\n') {
            i += 2;
            continue;
          }
          if (DQ_ESCAPABLE.has(next)) {
            word += next;
            i += 2;
            continue;
          }
        }
        word += d;
        i++;
      }
      if (!closed) return { args, error: `unterminated double quote starting at column ${start + 1}` };
    } else if (c === '\\') {
      if (i + 1 >= n) return { args, error: `trailing backslash at column ${i + 1} escapes nothing` };
      const next = text[i + 1]!;
      if (next !== '\n') word += next;
      else inWord = wasInWord; // a line continuation alone does not start a word
      i += 2;
    } else {
      word += c;
      i++;
    }
  }
  if (inWord) args.push(word);
  return { args };
}

/** Quote one word so {@link splitArgs} (and sh) read it back unchanged; for plans and logs. */
export function quoteArg(word: string): string {
  if (word !== '' && /^[A-Za-z0-9_@%+=:,./-]+$/.test(word)) return word;
  return `'${word.replace(/'/g, `'\\''`)}'`;
}
