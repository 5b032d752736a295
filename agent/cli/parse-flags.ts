import { UsageError } from '../../shared/errors/index.js';
/** Kinds of command-line flags: a single value, a repeatable value (also comma-separated), a switch. */
export type FlagKind = 'string' | 'list' | 'boolean';

export type FlagValues = Record<string, string | string[] | boolean | undefined>;

/**
 * Parse `--name value`, `--name=value` and switches against `spec`. Positional words are
 * returned in order. Unknown flags and missing values throw UsageError naming the flag.
 */
export function parseFlags(argv: string[], spec: Record<string, FlagKind>): { flags: FlagValues; positional: string[] } {
  const flags: FlagValues = {};
  const positional: string[] = [];
  for (let i = 0; i < argv.length; i++) {
    const arg = argv[i]!;
    if (!arg.startsWith('--') || arg === '--') {
      if (arg === '--') {
        positional.push(...argv.slice(i + 1));
        break;
      }
      positional.push(arg);
      continue;
    }
    const eq = arg.indexOf('=');
    const name = arg.slice(2, eq < 0 ? undefined : eq);
    const kind = spec[name];
    if (!kind) throw new UsageError(`unknown option --${name}`);
    if (kind === 'boolean') {
      if (eq >= 0) throw new UsageError(`--${name} takes no value`);
      flags[name] = true;
      continue;
    }
    let value: string | undefined;
    if (eq >= 0) value = arg.slice(eq + 1);
    else {
      value = argv[i + 1];
      if (value === undefined || value.startsWith('--')) throw new UsageError(`--${name} needs a value`);
      i++;
    }
    if (kind === 'list') {
      const list = (flags[name] as string[] | undefined) ?? [];
      list.push(...value.split(',').map((v) => v.trim()).filter(Boolean));
      flags[name] = list;
    } else flags[name] = value;
  }
  return { flags, positional };
}

/** A whole number in [min, max] or a UsageError naming the option, value and expectation. */
export function parseIntFlag(name: string, value: string, min: number, max: number): number {
  const n = /^\d+$/.test(value) ? Number(value) : NaN;
  if (!Number.isSafeInteger(n) || n < min || n > max) {
    throw new UsageError(`--${name} must be a whole number from ${min} to ${max}, got \`${value}\``);
  }
  return n;
}
