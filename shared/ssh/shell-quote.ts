/** Quote one word for a POSIX shell: bare when safe, else `'…'` with embedded quotes as `'\''`. */
export function shellQuote(word: string): string {
  if (word !== '' && /^[A-Za-z0-9_\/.,:=@%+-]+$/.test(word)) return word;
  return `'${word.replace(/'/g, `'\\''`)}'`;
}
