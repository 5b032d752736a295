import { readFile } from 'node:fs/promises';
import { cpus } from 'node:os';
import type { CliIo } from '../../shared/cli-io.js';
import { defaultRegistry, type ExecTypeRegistry } from '../../shared/exec/index.js';
import { spawnFallbackWarning } from '../../shared/exec/index.js';
import { parseConfigFile, SchemaReport } from '../../shared/config/index.js';
import { execTypesFromConfig } from '../../shared/config/index.js';
import { DEFAULT_HOST_VALIDATION, hostValidationFromConfig, type HostValidationConfig } from '../../shared/config/index.js';
import { formatDiagnostic, hasErrors, type Diagnostic } from '../../shared/taskfile/diagnostics.js';
import { ExitCode } from '../../shared/exit-codes.js';
import { createAgentLogger } from '../logger.js';
import { startAgentServer, type AgentTls } from '../server/agent-server.js';
import { parseListenAddress, type ListenAddress } from '../server/listen-address.js';
import { agentExecTypes, registryArgvBuilder } from '../server/exec-registry.js';
import { checkHostsOnAgent } from '../server/check-hosts.js';
import { parseFlags, parseIntFlag, type FlagValues } from './parse-flags.js';
import { ConfigError, SetupError, UsageError } from '../../shared/errors/index.js';

export const SERVE_USAGE =
  'usage: tasker-agent serve --listen unix:PATH|HOST:PORT [--config FILE] [--tls-ca F --tls-cert F --tls-key F]\n' +
  '                          [--insecure-loopback]   (plaintext TCP on loopback; any local user can run tasks)\n' +
  '                          [--nats URL [--pool NAME] [--max N] [--workdir DIR]]   (--listen optional with --nats; docs/nats.md)\n' +
  '                          [--allow-client NAME…] [--allow-exec TYPE…] [--max-concurrent N] [--max-queue N]\n' +
  '                          [--drain-timeout SECONDS] [--kill-grace SECONDS] [--log-level LEVEL]';

const SERVE_FLAGS = {
  listen: 'string',
  'insecure-loopback': 'boolean',
  config: 'string',
  'tls-ca': 'string',
  'tls-cert': 'string',
  'tls-key': 'string',
  'allow-client': 'list',
  'allow-exec': 'list',
  'max-concurrent': 'string',
  'max-queue': 'string',
  'drain-timeout': 'string',
  'kill-grace': 'string',
  'log-level': 'string',
  nats: 'string',
  pool: 'string',
  max: 'string',
  workdir: 'string',
} as const;

/** The `agent:` section of the agent's config file; command-line flags win over it. */
interface AgentFileConfig {
  listen?: string;
  /** As --insecure-loopback. */
  insecure_loopback?: boolean;
  tls?: { ca?: string; cert?: string; key?: string };
  allow_clients?: string[];
  allow_exec?: string[];
  max_concurrent?: number;
  max_queue?: number;
  drain_timeout?: number;
  /** As --kill-grace: seconds between SIGTERM and SIGKILL of a stopped task's or job's process group. */
  kill_grace?: number;
  log_level?: string;
  /** As --workdir: where the NATS worker makes its job workspaces. */
  workdir?: string;
}

const AGENT_KEYS = ['listen', 'insecure_loopback', 'tls', 'allow_clients', 'allow_exec', 'max_concurrent', 'max_queue', 'drain_timeout', 'kill_grace', 'log_level', 'workdir'];

interface AgentConfigFile {
  agent: AgentFileConfig;
  /** Unknown keys of the `agent:` section (ignored), with their places. */
  warnings: Diagnostic[];
  registry: ExecTypeRegistry;
  hostValidation: HostValidationConfig;
}

/**
 * Read the agent's config file with the shared loader: the `agent:` section for the server, and
 * the same `exec_types`/`host_validation` sections tasker reads, so templates match the controller.
 */
function readAgentConfig(path: string | undefined): AgentConfigFile {
  if (!path) return { agent: {}, warnings: [], registry: defaultRegistry(), hostValidation: { ...DEFAULT_HOST_VALIDATION } };
  const loaded = parseConfigFile(path);
  const exec = execTypesFromConfig(loaded.data, loaded.positionOf);
  const hv = hostValidationFromConfig(loaded.data, loaded.positionOf);
  const diagnostics = [...loaded.diagnostics, ...exec.diagnostics, ...hv.diagnostics];
  if (hasErrors(diagnostics)) {
    throw new UsageError(diagnostics.filter((d) => d.severity === 'error').map((d) => formatDiagnostic(d, path)).join('\n'));
  }
  const section = loaded.data['agent'] ?? {};
  if (typeof section !== 'object' || section === null || Array.isArray(section)) {
    throw new UsageError(`${path}: \`agent\` must be a mapping`);
  }
  const report = new SchemaReport(loaded.positionOf);
  report.unknownKeys(['agent'], section as Record<string, unknown>, AGENT_KEYS);
  return { agent: section as AgentFileConfig, warnings: report.diagnostics, registry: exec.registry, hostValidation: hv.config };
}

/** The listen address, or a UsageError naming where the value came from. */
function readListen(text: string, what: string): ListenAddress {
  try {
    return parseListenAddress(text, what);
  } catch (err) {
    if (err instanceof ConfigError) throw new UsageError(err.message);
    throw err;
  }
}

/** Flag value, else config value (stringified), else undefined. */
function pick(flags: FlagValues, name: string, fromFile: unknown): string | undefined {
  const v = flags[name];
  if (typeof v === 'string') return v;
  return fromFile === undefined || fromFile === null ? undefined : String(fromFile);
}

function pickList(flags: FlagValues, name: string, fromFile: unknown, path: string | undefined): string[] | undefined {
  const v = flags[name];
  if (Array.isArray(v)) return v;
  if (fromFile === undefined) return undefined;
  if (!Array.isArray(fromFile) || fromFile.some((x) => typeof x !== 'string')) {
    throw new UsageError(`${path}: agent.${name === 'allow-exec' ? 'allow_exec' : 'allow_clients'} must be a list of names`);
  }
  return fromFile as string[];
}

async function readTls(ca?: string, cert?: string, key?: string): Promise<AgentTls | undefined> {
  const given = [ca, cert, key].filter(Boolean).length;
  if (given === 0) return undefined;
  if (given !== 3) throw new UsageError('--tls-ca, --tls-cert and --tls-key must be given together');
  const read = async (flag: string, file: string) => {
    try {
      return await readFile(file);
    } catch (err) {
      throw new UsageError(`--${flag} ${file}: ${(err as Error).message}`);
    }
  };
  return { ca: await read('tls-ca', ca!), cert: await read('tls-cert', cert!), key: await read('tls-key', key!) };
}

/** `tasker-agent serve`: runs until io.signal aborts (SIGTERM/SIGINT), then drains and returns 0. */
export async function serve(argv: string[], io: CliIo): Promise<number> {
  let server: Awaited<ReturnType<typeof startAgentServer>> | undefined;
  let nats;
  let drainTimeoutMs: number;
  let logger;
  try {
    const { flags, positional } = parseFlags(argv, SERVE_FLAGS);
    if (positional.length) throw new UsageError(`unexpected argument \`${positional[0]}\``);
    const configPath = flags.config as string | undefined;
    const loaded = readAgentConfig(configPath);
    for (const d of loaded.warnings) io.stderr.write(`tasker-agent serve: ${formatDiagnostic(d, configPath ?? 'config')}\n`);
    const file = loaded.agent;
    logger = createAgentLogger(
      pick(flags, 'log-level', file.log_level) ?? io.env.TASKER_AGENT_LOG_LEVEL ?? 'info',
      io.stderr as NodeJS.WritableStream,
    );
    const listen = pick(flags, 'listen', file.listen);
    const natsFlags = { nats: flags.nats as string | undefined, pool: flags.pool as string | undefined, configPath, workdir: pick(flags, 'workdir', file.workdir) };
    const { natsRequested, startNatsServe } = await import('../nats/index.js');
    const wantNats = await natsRequested(natsFlags);
    if (!listen && !wantNats) throw new UsageError('--listen unix:PATH|HOST:PORT or --nats URL is required (or agent.listen / nats.url in --config)');
    const address = listen === undefined ? undefined : readListen(listen, typeof flags.listen === 'string' ? '--listen' : `agent.listen in ${configPath}`);
    if (file.insecure_loopback !== undefined && typeof file.insecure_loopback !== 'boolean') {
      throw new UsageError(`${configPath}: agent.insecure_loopback must be true or false, got \`${String(file.insecure_loopback)}\``);
    }
    const insecureLoopback = flags['insecure-loopback'] === true || file.insecure_loopback === true;
    if (insecureLoopback && !(address?.kind === 'tcp' && address.loopback)) {
      throw new UsageError('--insecure-loopback (agent.insecure_loopback) only applies to --listen on a loopback HOST:PORT (127.0.0.1, ::1)');
    }
    const tls = await readTls(
      pick(flags, 'tls-ca', file.tls?.ca),
      pick(flags, 'tls-cert', file.tls?.cert),
      pick(flags, 'tls-key', file.tls?.key),
    );
    const maxConcurrent = parseIntFlag('max-concurrent', pick(flags, 'max-concurrent', file.max_concurrent) ?? String(Math.max(4, cpus().length * 2)), 1, 10_000);
    const maxQueue = parseIntFlag('max-queue', pick(flags, 'max-queue', file.max_queue) ?? '64', 0, 1_000_000);
    drainTimeoutMs = parseIntFlag('drain-timeout', pick(flags, 'drain-timeout', file.drain_timeout) ?? '30', 0, 86_400) * 1000;
    const killGraceMs = parseIntFlag('kill-grace', pick(flags, 'kill-grace', file.kill_grace) ?? '2', 0, 600) * 1000;
    const { registry, hostValidation } = loaded;
    const max = typeof flags.max === 'string' ? parseIntFlag('max', flags.max, 1, 10_000) : undefined;
    if (tls && address?.kind === 'unix') {
      throw new UsageError(`--tls-* go with --listen HOST:PORT; a Unix socket (${address.bind}) is closed to other users by its permissions, and controllers reach it without TLS`);
    }
    if (insecureLoopback && !tls) {
      io.stderr.write(
        `tasker-agent serve: warning: plaintext gRPC on ${address!.bind} (--insecure-loopback): every local user ` +
          `can connect and run tasks as this agent's user (uid ${process.getuid?.() ?? '?'}); use unix:PATH or mutual TLS instead\n`,
      );
    }
    server = !address ? undefined : await startAgentServer({
      listen: address,
      tls,
      insecureLoopback,
      allowClients: pickList(flags, 'allow-client', file.allow_clients, configPath),
      allowExec: pickList(flags, 'allow-exec', file.allow_exec, configPath),
      execTypes: agentExecTypes(registry),
      maxConcurrent,
      maxQueue,
      buildArgv: registryArgvBuilder(registry),
      checkHosts: (hosts, connectivity) => checkHostsOnAgent({ registry, hostValidation, env: io.env }, hosts, connectivity),
      logger,
      env: io.env,
      killGraceMs,
    });
    if (wantNats) {
      nats = await startNatsServe({ ...natsFlags, max, logger, drainMs: drainTimeoutMs, killGraceMs, env: io.env, signal: io.signal }).catch(async (e: Error) => {
        await server?.drain(0);
        throw e;
      });
    }
  } catch (err) {
    if (err instanceof SetupError) {
      io.stderr.write(`tasker-agent serve: ${err.message}\n`);
      return ExitCode.ERROR;
    }
    if (err instanceof UsageError || err instanceof ConfigError) {
      io.stderr.write(`tasker-agent serve: ${err.message}\n`);
      if (err instanceof UsageError) io.stderr.write(`${SERVE_USAGE}\n`);
      return ExitCode.USAGE;
    }
    throw err;
  }
  if (server) io.stdout.write(`tasker-agent listening on ${server.address}\n`);
  if (nats) io.stdout.write(`tasker-agent ${nats.name} taking jobs from NATS\n`);
  const fallback = spawnFallbackWarning(io.env);
  if (fallback) io.stderr.write(`tasker-agent serve: warning: ${fallback}\n`);
  const signal = io.signal;
  await new Promise<void>((resolve) => {
    if (!signal) return; // runs until the process is killed
    if (signal.aborted) resolve();
    else signal.addEventListener('abort', () => resolve(), { once: true });
  });
  logger.info('shutdown requested', { reason: String(signal?.reason) });
  await Promise.all([server?.drain(drainTimeoutMs), nats?.stop()]);
  await new Promise<void>((resolve) => logger.end(resolve));
  return ExitCode.SUCCESS;
}
