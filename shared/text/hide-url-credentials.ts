/**
 * `scheme://user:password@host` and `scheme://token@host` with what comes before the `@` replaced by
 * `***`, wherever such a URL appears in `text` (several, comma-separated, in a word of a command
 * line): for what is kept of a command line (a run's session.json), never for what connects.
 */
export function hideUrlCredentials(text: string): string {
  return text.replace(/([a-z][a-z0-9+.-]*:\/\/)[^\s/?#,@]+@/gi, '$1***@');
}
