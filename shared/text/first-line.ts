/** The first line of an error's message, for a one-line report (`ENOSPC: no space left on device, write`). */
export function firstLineOf(error: unknown): string {
  return (error instanceof Error ? error.message : String(error)).split('\n', 1)[0]!;
}
