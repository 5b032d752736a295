/**
 * Which variable names hold secrets. Their values are masked wherever a value is shown or stored:
 * console, logs, JSON, project summary, recovery state, and the agents' own logs (the controller
 * sends the values to mask with each request).
 *
 * Names are matched case-insensitively against glob patterns (`*` = any text). The built-in list
 * (docs/configuration.md, "Secrets") is extended, never replaced, by the config's `secrets.names`.
 */

/** The built-in patterns. `MASK_*`, `HIDE_*`, `*APIKEY*` and `*API_KEY*` are the peer's, kept for old task files. */
export const DEFAULT_SECRET_NAMES: readonly string[] = [
  '*PASS*', '*PWD*', '*PASSPHRASE*', '*CREDENTIAL*', '*SECRET*', '*TOKEN*', '*PRIVATE*', '*_KEY',
  '*APIKEY*', '*API_KEY*', 'MASK_*', 'HIDE_*',
];

/** A secret-name pattern: letters, digits, `_` and `*`. */
export const SECRET_NAME_PATTERN = /^[A-Za-z0-9_*]+$/;

function compile(patterns: readonly string[]): RegExp {
  const alternatives = patterns.map((p) => p.split('*').map((part) => part.replace(/[^A-Za-z0-9_]/g, '')).join('.*'));
  return new RegExp(`^(?:${alternatives.join('|')})$`, 'i');
}

let matcher = compile(DEFAULT_SECRET_NAMES);
let added: readonly string[] = [];
let accumulate = false;

/**
 * Add the config's patterns to the built-in ones, for the whole process (a run, or every run of a
 * parallelr that runs task files in-process with one config). Calling it again replaces the
 * previous additions, unless keepEverySecretName() was called.
 */
export function addSecretNames(patterns: readonly string[]): void {
  added = accumulate ? [...new Set([...added, ...patterns])] : [...patterns];
  matcher = compile([...DEFAULT_SECRET_NAMES, ...added]);
}

/**
 * For a process that runs task files of different runs at the same time, each with its own config
 * (a NATS agent running them in-process): from now on every config's patterns add to those seen
 * before and none are dropped, so no run's secrets go unmasked while another run's config is read.
 * The cost is masking more: a name one run's config calls secret is masked in every run.
 */
export function keepEverySecretName(): void {
  accumulate = true;
}

/** Whether a variable of this name holds a secret. */
export function isSecretName(name: string): boolean {
  return matcher.test(name);
}
