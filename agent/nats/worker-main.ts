/**
 * Standalone NATS worker: `node --import tsx agent/nats/worker-main.ts --nats URL [--pool NAME]
 * [--max N] [--name NAME] [--config FILE] [--workdir DIR] [--drain-timeout S] [--log-level L]`.
 * Runs until SIGTERM/SIGINT, then drains. Prints `ready <name>` on stdout once it pulls jobs.
 */
import { processIo, type CliIo } from '../../shared/cli-io.js';
import { NatsSetupError } from '../../shared/nats/index.js';
import { startNatsServe } from './serve.js';

export const WORKER_USAGE =
  'usage: worker-main --nats URL [--pool NAME] [--max N] [--name NAME] [--config FILE] [--workdir DIR] [--drain-timeout S] [--log-level L]';

const VALUE_FLAGS = new Set(['nats', 'pool', 'max', 'name', 'config', 'workdir', 'drain-timeout', 'log-level']);

/** Parse, start, wait for the abort signal, stop. Returns the exit code. */
export async function runWorkerMain(argv: string[], io: CliIo): Promise<number> {
  const flags = new Map<string, string>();
  for (let i = 0; i < argv.length; i++) {
    const a = argv[i]!;
    const name = a.startsWith('--') ? a.slice(2) : '';
    const value = argv[i + 1];
    if (!VALUE_FLAGS.has(name) || value === undefined) {
      io.stderr.write(`worker-main: ${VALUE_FLAGS.has(name) ? `${a} needs a value` : `unknown argument \`${a}\``}\n${WORKER_USAGE}\n`);
      return 2;
    }
    flags.set(name, value);
    i++;
  }
  const num = (flag: string, min: number): number | undefined => {
    const v = flags.get(flag);
    if (v === undefined) return undefined;
    if (!/^\d+$/.test(v) || Number(v) < min) throw new NatsSetupError(`--${flag} must be a whole number of at least ${min}, got \`${v}\``);
    return Number(v);
  };
  const { createAgentLogger } = await import('../logger.js');
  const logger = createAgentLogger(flags.get('log-level') ?? io.env.TASKER_AGENT_LOG_LEVEL ?? 'info', io.stderr as NodeJS.WritableStream);
  let worker;
  try {
    const drain = num('drain-timeout', 0);
    worker = await startNatsServe({
      nats: flags.get('nats'),
      pool: flags.get('pool'),
      max: num('max', 1),
      name: flags.get('name'),
      configPath: flags.get('config'),
      workdir: flags.get('workdir'),
      drainMs: drain === undefined ? undefined : drain * 1000,
      env: io.env,
      logger,
    });
  } catch (e) {
    if (e instanceof NatsSetupError || (e instanceof Error && /^(max|pool) must/.test(e.message))) {
      io.stderr.write(`worker-main: ${e.message}\n`);
      return 1;
    }
    throw e;
  }
  io.stdout.write(`ready ${worker.name}\n`);
  await new Promise<void>((resolve) => {
    if (!io.signal || io.signal.aborted) return resolve();
    io.signal.addEventListener('abort', () => resolve(), { once: true });
  });
  await worker.stop();
  return 0;
}

const io = processIo();
runWorkerMain(process.argv.slice(2), io).then(
  (code) => {
    io.dispose();
    process.exitCode = code;
  },
  (e) => {
    process.stderr.write(`worker-main: ${(e as Error).message}\n`);
    process.exitCode = 1;
  },
);
