/** `tasker-agent serve --nats URL [--pool NAME] [--max N]`: settings from flags and the config file, then the worker. */
import { readFile } from 'node:fs/promises';
import { natsSettingsFrom, NatsSetupError } from '../../shared/nats/connection.js';
import { startNatsWorker, type NatsWorker, type WorkerLogger } from './worker.js';

export interface NatsServeFlags {
  /** `--nats URL` (comma-separated for several servers). */
  nats?: string;
  /** `--pool NAME`. */
  pool?: string;
  /** `--max N` jobs at once. */
  max?: number;
  /** `--name NAME` recorded as the agent in results. */
  name?: string;
  /** `--config FILE`: its `nats:` section gives url, pool, ack_wait, auth and TLS. */
  configPath?: string;
  /** Parent of per-job workspaces. */
  workdir?: string;
  drainMs?: number;
  env?: NodeJS.ProcessEnv;
  logger?: WorkerLogger;
}

/** Read the `nats:` section of a YAML config file (undefined when there is none). */
export async function readNatsSection(path: string): Promise<unknown> {
  let text: string;
  try {
    text = await readFile(path, 'utf8');
  } catch (e) {
    throw new NatsSetupError(`--config ${path}: ${(e as NodeJS.ErrnoException).code === 'ENOENT' ? 'no such file' : (e as Error).message}`);
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
 * Start the NATS worker for `tasker-agent serve`. Throws NatsSetupError (print its message, exit
 * non-zero) for bad settings, an unreachable server or JetStream being off.
 */
export async function startNatsServe(flags: NatsServeFlags): Promise<NatsWorker> {
  const section = flags.configPath ? await readNatsSection(flags.configPath) : undefined;
  const settings = natsSettingsFrom(section, flags.env ?? process.env, { url: flags.nats, pool: flags.pool }, flags.configPath ?? 'config');
  return startNatsWorker({
    servers: settings.servers,
    pool: settings.pool,
    max: flags.max,
    name: flags.name,
    ackWaitMs: settings.ackWaitSec * 1000,
    auth: settings.auth,
    tls: settings.tls,
    workdir: flags.workdir,
    drainMs: flags.drainMs,
    logger: flags.logger,
  });
}
