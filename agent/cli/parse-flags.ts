import { parseArgs } from 'node:util';
import { UsageError } from '../../shared/errors/index.js';

/** Kinds of command-line flags: a single value, a repeatable value (also comma-separated), a switch. */
export type FlagKind = 'string' | 'list' | 'boolean';

export type FlagValues = Record<string, string | string[] | boolean | undefined>;

/**
 * Parse `--name value`, `--name=value` and switches against `spec` with `node:util` parseArgs. Positional
 * words are returned in order (all words after `--` too). Unknown flags, missing values and values
 * given to switches throw UsageError naming the flag.
 */
export function parseFlags(argv: string[], spec: Record<string, FlagKind>): { flags: FlagValues; positional: string[] } {
  const options = Object.fromEntries(
    Object.entries(spec).map(([name, kind]) => [name, { type: kind === 'boolean' ? ('boolean' as const) : ('string' as const), multiple: kind === 'list' }]),
  );
  // strict: false so the tokens carry every problem; the messages below name the flag as the usage lines do.
  const { tokens } = parseArgs({ args: argv, options, strict: false, allowPositionals: true, tokens: true });
  const flags: FlagValues = {};
  const positional: string[] = [];
  for (const token of tokens) {
    if (token.kind === 'positional') positional.push(token.value);
    if (token.kind !== 'option') continue;
    const kind = spec[token.name];
    if (!kind || token.rawName !== `--${token.name}`) throw new UsageError(`unknown option ${token.rawName}`);
    if (kind === 'boolean') {
      if (token.value !== undefined) throw new UsageError(`--${token.name} takes no value`);
      flags[token.name] = true;
      continue;
    }
    const value = token.value;
    if (value === undefined || (!token.inlineValue && value.startsWith('--'))) throw new UsageError(`--${token.name} needs a value`);
    if (kind === 'list') {
      const list = (flags[token.name] as string[] | undefined) ?? [];
      list.push(...value.split(',').map((v) => v.trim()).filter(Boolean));
      flags[token.name] = list;
    } else flags[token.name] = value;
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
