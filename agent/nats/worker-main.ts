/**
 * Standalone NATS worker: `node --import tsx agent/nats/worker-main.ts --nats URL [--pool NAME]
 * [--max N] [--name NAME] [--config FILE] [--workdir DIR] [--drain-timeout S] [--kill-grace S] [--log-level L]`.
 * Runs until SIGTERM/SIGINT, then drains. Prints `ready <name>` on stdout once it pulls jobs.
 */
import { processIo, type CliIo } from '../../shared/cli-io.js';
import { UsageError } from '../../shared/errors/index.js';
import { parseFlags } from '../cli/parse-flags.js';
import { startNatsServe } from './serve.js';
import { ConfigError, SetupError } from '../../shared/errors/index.js';
import { ParallelrExit } from '../../shared/exit-codes.js';

export const WORKER_USAGE =
  'usage: worker-main --nats URL [--pool NAME] [--max N] [--name NAME] [--config FILE] [--workdir DIR] [--drain-timeout S] [--kill-grace S] [--log-level L]';

const VALUE_FLAGS = ['nats', 'pool', 'max', 'name', 'config', 'workdir', 'drain-timeout', 'kill-grace', 'log-level'] as const;

/** Parse, start, wait for the abort signal, stop. Returns the exit code. */
export async function runWorkerMain(argv: string[], io: CliIo): Promise<number> {
  const flags = new Map<string, string>();
  try {
    const parsed = parseFlags(argv, Object.fromEntries(VALUE_FLAGS.map((f) => [f, 'string' as const])));
    if (parsed.positional.length) throw new UsageError(`unknown argument \`${parsed.positional[0]}\``);
    for (const [name, value] of Object.entries(parsed.flags)) if (typeof value === 'string') flags.set(name, value);
  } catch (e) {
    if (!(e instanceof UsageError)) throw e;
    io.stderr.write(`worker-main: ${e.message}\n${WORKER_USAGE}\n`);
    return ParallelrExit.USAGE;
  }
  const num = (flag: string, min: number): number | undefined => {
    const v = flags.get(flag);
    if (v === undefined) return undefined;
    if (!/^\d+$/.test(v) || Number(v) < min) throw new SetupError(`--${flag} must be a whole number of at least ${min}, got \`${v}\``);
    return Number(v);
  };
  const { createAgentLogger } = await import('../logger.js');
  const logger = createAgentLogger(flags.get('log-level') ?? io.env.TASKER_AGENT_LOG_LEVEL ?? 'info', io.stderr as NodeJS.WritableStream);
  let worker;
  try {
    const drain = num('drain-timeout', 0);
    const grace = num('kill-grace', 0);
    worker = await startNatsServe({
      nats: flags.get('nats'),
      pool: flags.get('pool'),
      max: num('max', 1),
      name: flags.get('name'),
      configPath: flags.get('config'),
      workdir: flags.get('workdir'),
      drainMs: drain === undefined ? undefined : drain * 1000,
      killGraceMs: grace === undefined ? undefined : grace * 1000,
      env: io.env,
      logger,
      signal: io.signal,
    });
  } catch (e) {
    if (e instanceof SetupError || e instanceof ConfigError) {
      io.stderr.write(`worker-main: ${e.message}\n`);
      return ParallelrExit.FAILED;
    }
    throw e;
  }
  io.stdout.write(`ready ${worker.name}\n`);
  await new Promise<void>((resolve) => {
    if (!io.signal || io.signal.aborted) return resolve();
    io.signal.addEventListener('abort', () => resolve(), { once: true });
  });
  await worker.stop();
  return ParallelrExit.SUCCESS;
}

const io = processIo({ program: 'worker-main' });
runWorkerMain(process.argv.slice(2), io).then(
  (code) => {
    io.dispose();
    process.exitCode = code;
  },
  (e) => {
    process.stderr.write(`worker-main: ${(e as Error).message}\n`);
    process.exitCode = ParallelrExit.FAILED;
  },
);
