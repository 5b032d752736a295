import { splitArgs } from '../../shared/exec/index.js';
import type { TaskEntry } from './types.js';

/** A `-C` template split once into argv elements; placeholders are filled per element, never re-split. */
export interface CommandTemplate {
  text: string;
  argv: string[];
  /** Highest n in `@ARG_n@` (1 for `@ARG@`), 0 when no argument placeholder is used. */
  maxArgIndex: number;
  usesTask: boolean;
}

const PLACEHOLDER = /@TASK@|@ARG@|@ARG_(\d+)@|\$\{([A-Za-z_][A-Za-z0-9_]*)\}|\$([A-Za-z_][A-Za-z0-9_]*)/g;

/** Splits the template like a POSIX shell would (quotes respected, no expansion). */
export function parseCommandTemplate(text: string): { template: CommandTemplate } | { error: string } {
  const split = splitArgs(text);
  if (split.error) return { error: `-C/--Command: ${split.error}` };
  if (split.args.length === 0) return { error: '-C/--Command must not be empty' };
  let maxArgIndex = 0;
  let usesTask = false;
  for (const m of text.matchAll(PLACEHOLDER)) {
    if (m[0] === '@TASK@') usesTask = true;
    else if (m[0] === '@ARG@') maxArgIndex = Math.max(maxArgIndex, 1);
    else if (m[1] !== undefined) maxArgIndex = Math.max(maxArgIndex, Number(m[1]));
  }
  return { template: { text, argv: split.args, maxArgIndex, usesTask } };
}

export interface BuiltCommand {
  argv: string[];
  /** `NAME='v' … argv…` with shell quoting where needed, for logs and the results file. */
  display: string;
}

/**
 * Fills `@TASK@` (absolute path; left literally when there is no task file), `@ARG@`/`@ARG_n@` and
 * `$NAME`/`${NAME}` for `-E` names. Each substitution stays inside its argv element, so a path or an
 * argument with spaces or quotes is always exactly one element.
 */
export function buildTaskCommand(
  template: CommandTemplate,
  entry: Pick<TaskEntry, 'taskPath' | 'arguments' | 'envVars'>,
  maxArgumentLength = Infinity,
): BuiltCommand | { error: string } {
  let problem: string | undefined;
  const argv = template.argv.map((element) =>
    element.replace(PLACEHOLDER, (whole: string, n?: string, braced?: string, bare?: string) => {
      if (whole === '@TASK@') return entry.taskPath ?? whole;
      if (whole === '@ARG@' || n !== undefined) {
        const i = whole === '@ARG@' ? 1 : Number(n);
        const value = i >= 1 ? entry.arguments[i - 1] : undefined;
        if (value === undefined) {
          problem ??= `unmatched placeholder ${whole}: this task has ${entry.arguments.length} argument(s)`;
          return whole;
        }
        return value;
      }
      const name = (braced ?? bare)!;
      return Object.hasOwn(entry.envVars, name) ? entry.envVars[name]! : whole;
    }),
  );
  if (problem) return { error: problem };
  for (const a of argv) {
    if (a.length > maxArgumentLength) {
      return { error: `argument longer than security.max_argument_length (${a.length} > ${maxArgumentLength}): ${a.slice(0, 60)}…` };
    }
  }
  const env = Object.entries(entry.envVars).map(([k, v]) => `${k}=${shellQuote(v)} `).join('');
  return { argv, display: env + argv.map(shellQuote).join(' ') };
}

/** Quotes a word for display the way a POSIX shell would read it back. */
export function shellQuote(word: string): string {
  if (word !== '' && /^[A-Za-z0-9_@%+=:,./-]+$/.test(word)) return word;
  return `'${word.replace(/'/g, `'\\''`)}'`;
}
