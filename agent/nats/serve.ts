/** `tasker-agent serve --nats URL [--pool NAME] [--max N]`: settings from flags and the config file, then the worker. */
import { natsSettingsFrom } from '../../shared/nats/index.js';
import { readNatsSection } from '../../shared/nats/index.js';
import { startNatsWorker, type NatsWorker, type WorkerLogger } from './worker.js';
import { SetupError } from '../../shared/errors/index.js';
import { tierUpSooner } from './tier-up.js';

export { readNatsSection };

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
  /** `--kill-grace`: between SIGTERM and SIGKILL of a stopped job's processes. */
  killGraceMs?: number;
  env?: NodeJS.ProcessEnv;
  logger?: WorkerLogger;
  /** Stops a start that waits for a controller to create the streams. */
  signal?: AbortSignal;
}

/**
 * Start the NATS worker for `tasker-agent serve`. Throws SetupError (print its message, exit
 * non-zero) for bad settings, an unreachable server, JetStream being off, or JetStream not answering
 * for 60 s (shared/nats/setup-patience.ts).
 */
export async function startNatsServe(flags: NatsServeFlags): Promise<NatsWorker> {
  const section = flags.configPath ? await readNatsSection(flags.configPath) : undefined;
  const settings = natsSettingsFrom(section, flags.env ?? process.env, { url: flags.nats, pool: flags.pool }, flags.configPath ?? 'config');
  tierUpSooner();
  return startNatsWorker({
    servers: settings.servers,
    pool: settings.pool,
    max: flags.max,
    name: flags.name,
    ackWaitMs: settings.ackWaitSec * 1000,
    replicas: settings.replicas,
    signal: flags.signal,
    auth: settings.auth,
    tls: settings.tls,
    workdir: flags.workdir,
    drainMs: flags.drainMs,
    killGraceMs: flags.killGraceMs,
    logger: flags.logger,
  });
}

/**
 * Whether `tasker-agent serve` should run the NATS worker: `--nats` or `--pool` given, or the
 * config file has a `nats.url`.
 */
export async function natsRequested(flags: { nats?: string; pool?: string; configPath?: string }): Promise<boolean> {
  if (flags.nats !== undefined || flags.pool !== undefined) return true;
  if (!flags.configPath) return false;
  const section = await readNatsSection(flags.configPath);
  return typeof section === 'object' && section !== null && 'url' in section;
}
