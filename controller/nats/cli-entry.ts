/**
 * What the parallelr CLI calls for `--nats URL [--pool NAME]` and `--resume RUN_ID`: settings from
 * flags, environment and the `nats:` section of the parallelr config files, then the run.
 * Returns the exit code; every problem is one line on stderr.
 */
import type { CliIo } from '../../shared/cli-io.js';
import { readNatsSections } from '../../shared/nats/index.js';
import { natsSettingsFrom, type NatsSettings } from '../../shared/nats/index.js';
import type { DistributedCliRequest } from '../parallelr/index.js';
import { MAX_BATCH, isSubjectToken } from '../../shared/nats/index.js';
import { defaultStateDir, resumeDistributed, runDistributed } from './run-distributed.js';
import { readRunState } from './run-state.js';
import { watchRun } from './watch-run.js';
import { connectNats, jetStreamManagerOf } from '../../shared/nats/index.js';
import { cancelOrphanedRun } from './queue.js';
import { SetupError } from '../../shared/errors/index.js';
import { ParallelrExit } from '../../shared/exit-codes.js';

export type { DistributedCliRequest };

/** Run or resume a distributed parallelr run. */
export async function runDistributedCli(req: DistributedCliRequest, io: CliIo): Promise<number> {
  let settings: NatsSettings;
  try {
    const { section, where } = await readNatsSections(req.configFiles ?? []);
    settings = natsSettingsFrom(section, io.env, { url: req.nats, pool: req.pool, replicas: req.replicas }, where);
  } catch (e) {
    if (!(e instanceof SetupError)) throw e;
    io.stderr.write(`parallelr: ${e.message}\n`);
    return ParallelrExit.FAILED;
  }
  if (req.cancel !== undefined) return cancelFromKill(req.cancel, settings, io);
  if (req.watch !== undefined) {
    if (!isSubjectToken(req.watch)) {
      io.stderr.write(`parallelr: --watch: \`${req.watch}\` is not a run id (letters, digits, '_' or '-')\n`);
      return ParallelrExit.USAGE;
    }
    const stateDir = defaultStateDir(io.env);
    // Without --nats (or TASKER_NATS_URL), the servers the run was published to, when its state is here.
    const state = req.nats === undefined && !io.env.TASKER_NATS_URL ? readRunState(stateDir, req.watch) : undefined;
    const servers = state && !('error' in state) ? state.servers : settings.servers;
    return watchRun({ runId: req.watch, settings: { ...settings, servers }, stateDir }, io);
  }
  if (req.resume !== undefined) {
    const nats: Partial<NatsSettings> = { ackWaitSec: settings.ackWaitSec, replicas: settings.replicas, auth: settings.auth, tls: settings.tls };
    // Only an explicit choice overrides what the run was published with.
    if (req.nats !== undefined || io.env.TASKER_NATS_URL) nats.servers = settings.servers;
    if (req.pool !== undefined || io.env.TASKER_NATS_POOL) nats.pool = settings.pool;
    return (await resumeDistributed({ runId: req.resume, nats, quiet: req.quiet, pid: req.pid, daemon: req.daemon }, io)).exitCode;
  }
  const entries = req.entries ?? [];
  const notFiles = entries.filter((e) => e.taskPath === null || e.arguments.length > 0 || Object.keys(e.envVars).length > 0);
  if (notFiles.length) {
    io.stderr.write('parallelr: --nats distributes task files (-T) only; arguments mode (-A/-E) runs locally\n');
    return ParallelrExit.USAGE;
  }
  if (!req.command) {
    io.stderr.write('parallelr: --nats needs a command template (-C)\n');
    return ParallelrExit.USAGE;
  }
  if (req.batch !== undefined && req.batch > MAX_BATCH) {
    io.stderr.write(`parallelr: --batch ${req.batch}: at most ${MAX_BATCH} task files go in one job message\n`);
    return ParallelrExit.USAGE;
  }
  const result = await runDistributed(
    {
      files: entries.map((e) => ({ taskFile: e.taskFile ?? e.taskPath!, path: e.taskPath! })),
      command: req.command,
      timeoutSeconds: req.timeoutSeconds ?? 600,
      nats: settings,
      stopLimits: req.stopLimits ?? null,
      maxOutputCapture: req.maxOutputCapture,
      inProcess: req.inProcess,
      ...(req.batch !== undefined ? { batch: req.batch } : {}),
      resultsFile: req.resultsFile,
      quiet: req.quiet,
      logging: { ...req.logging, ...(settings.recordsCapBytes ? { recordsCapBytes: settings.recordsCapBytes } : {}) },
      pid: req.pid,
      daemon: req.daemon,
      ...(req.backupInputs ? { backupInputs: req.backupInputs } : {}),
    },
    io,
  );
  return result.exitCode;
}

/** `-k` of a distributed run whose controller had to be killed: the cancel it could not send. */
async function cancelFromKill(c: NonNullable<DistributedCliRequest['cancel']>, settings: NatsSettings, io: CliIo): Promise<number> {
  const servers = c.servers ? c.servers.split(',') : settings.servers;
  try {
    const nc = await connectNats({ servers, auth: settings.auth, tls: settings.tls, name: `parallelr -k ${c.runId}` });
    try {
      await cancelOrphanedRun(nc, await jetStreamManagerOf(nc, servers.join(',')), c.runId, c.pool || settings.pool);
    } finally {
      await nc.close().catch(() => undefined);
    }
    return ParallelrExit.SUCCESS;
  } catch (e) {
    io.stderr.write(`parallelr: cannot cancel run ${c.runId} at ${servers.join(',')}: ${(e as Error).message}; its jobs may still run on the agents\n`);
    return ParallelrExit.FAILED;
  }
}
