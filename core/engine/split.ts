import { SPLIT_DELIMITERS } from '../../shared/taskfile/keys.js';
import type { SplitSpec } from '../../shared/taskfile/model.js';

/**
 * Apply `stdout_split=DELIM,INDEX`: the trailing newline is dropped, the text split, and element
 * INDEX kept. An index out of range leaves the output unchanged (as the peer).
 */
export function splitOutput(text: string, spec: SplitSpec): string {
  const body = text.replace(/\r?\n$/, '');
  const named = SPLIT_DELIMITERS[spec.delimiter.toLowerCase()];
  const sep = named ?? spec.delimiter;
  const parts = (typeof sep === 'string' ? body.split(sep) : body.trim().split(sep));
  if (spec.index < 0 || spec.index >= parts.length) return text;
  return parts[spec.index]!;
}
