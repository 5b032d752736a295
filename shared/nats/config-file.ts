/** Read the `nats:` section of TASKER/parallelr/agent YAML config files. */
import { readBoundedFile } from '../input/index.js';
import { SetupError } from '../errors/index.js';

/** The `nats:` section of one YAML file (undefined when the file has none). */
export async function readNatsSection(path: string, required = true): Promise<unknown> {
  const read = readBoundedFile(path);
  if (!read.ok) {
    const { problem } = read;
    if (!required && problem.kind === 'missing') return undefined;
    const where = problem.line !== undefined ? `${path}:${problem.line}:${problem.col ?? 1}` : path;
    throw new SetupError(`${where}: ${problem.kind === 'missing' ? 'no such file' : problem.reason}`);
  }
  const text = read.text;
  const { parse } = await import('yaml');
  let data: unknown;
  try {
    data = parse(text);
  } catch (e) {
    throw new SetupError(`${path}: ${(e as Error).message.split('\n')[0]}`);
  }
  return (data as { nats?: unknown } | null)?.nats;
}

/**
 * Merge the `nats:` sections of several files (later files win, key by key; `tls` as a whole).
 * Missing files are skipped. Returns the merged section and the file it mostly came from (for errors).
 */
export async function readNatsSections(paths: readonly string[]): Promise<{ section: Record<string, unknown> | undefined; where: string }> {
  let merged: Record<string, unknown> | undefined;
  let where = 'config';
  for (const path of paths) {
    const s = await readNatsSection(path, false);
    if (s === undefined || s === null) continue;
    if (typeof s !== 'object' || Array.isArray(s)) throw new SetupError(`${path}: \`nats\` must be a mapping`);
    merged = { ...merged, ...(s as Record<string, unknown>) };
    where = path;
  }
  return { section: merged, where };
}
