/** Read the `nats:` section of TASKER/parallelr/agent YAML config files. */
import { readFile } from 'node:fs/promises';
import { NatsSetupError } from './connection.js';

/** The `nats:` section of one YAML file (undefined when the file has none). */
export async function readNatsSection(path: string, required = true): Promise<unknown> {
  let text: string;
  try {
    text = await readFile(path, 'utf8');
  } catch (e) {
    const code = (e as NodeJS.ErrnoException).code;
    if (!required && code === 'ENOENT') return undefined;
    throw new NatsSetupError(`${path}: ${code === 'ENOENT' ? 'no such file' : (e as Error).message}`);
  }
  const { parse } = await import('yaml');
  let data: unknown;
  try {
    data = parse(text);
  } catch (e) {
    throw new NatsSetupError(`${path}: ${(e as Error).message.split('\n')[0]}`);
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
    if (typeof s !== 'object' || Array.isArray(s)) throw new NatsSetupError(`${path}: \`nats\` must be a mapping`);
    merged = { ...merged, ...(s as Record<string, unknown>) };
    where = path;
  }
  return { section: merged, where };
}
