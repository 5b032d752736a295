import type { RunContext, RunTasksContext } from './run-context.js';
import { resolve } from 'node:path';
import type { CliIo } from '../../shared/cli-io.js';
import { loadChecked } from './config-commands.js';
import type { ParallelrConfig } from './config.js';
import { DAEMON_ENV } from './daemon.js';
import { printDryRun } from './dry-run.js';
import { ParallelrExit } from './exit-codes.js';
import { resolveTaskEntries } from './inputs.js';
import { launchDaemon } from './launch-daemon.js';
import { type CliOptions } from './options.js';
import { formatTimestamp, type ParallelrDirs } from './paths.js';
import { resolveCommandTemplate } from './resolve-command-template.js';
import { runLocalSession } from './run-local-session.js';
import { SetupError, UsageError } from '../../shared/errors/index.js';
import { natsSettingsFrom, readNatsSections } from '../../shared/nats/index.js';

type Write = (text: string) => void;

/** A dry run, a daemon launch, or a run in this process. */
export async function runTasks(
  opts: CliOptions,
  dirs: ParallelrDirs,
  io: CliIo,
  ctx: RunTasksContext,
  out: Write,
  err: Write,
): Promise<number> {
  const config = loadChecked(dirs, err);
  const limits = config.limits;
  checkLimitOverrides(opts, config);
  if (opts.resume !== undefined) {
    const daemon = io.env[DAEMON_ENV] === '1';
    return distributedRunner(ctx)({ resume: opts.resume, nats: opts.nats, pool: opts.pool, replicas: opts.natsReplicas, configFiles: [dirs.installationConfig, dirs.userConfig], quiet: opts.quiet, pid: ctx.pid, daemon }, io);
  }
  const isDaemonChild = io.env[DAEMON_ENV] === '1';
  const { [DAEMON_ENV]: _daemonMarker, ...rest } = io.env;
  // Frozen, like the process's own snapshot: the launcher then encodes it once for every command.
  const env: NodeJS.ProcessEnv = Object.freeze(rest);

  const { template, envNames } = resolveCommandTemplate(opts, ctx.ptasker, isDaemonChild, out);
  const { entries, argumentsPath } = await resolveTaskEntries(opts, template, envNames, io, dirs, err);
  if (opts.rerunFailed !== undefined && entries.length === 0) {
    out(`Nothing to rerun: every entry of ${opts.rerunFailed} succeeded.`);
    return ParallelrExit.SUCCESS;
  }

  const stamped = formatTimestamp(new Date(), config.logging.custom_date_format);
  const stamp = 'text' in stamped ? stamped.text : String(Date.now());

  const distributed = opts.nats !== undefined || opts.pool !== undefined || opts.natsReplicas !== undefined || opts.batch !== undefined;
  if (distributed) noteLocalOnly(opts, err);
  if (opts.daemon && !isDaemonChild) {
    return launchDaemon({ taskCount: entries.length, commandText: template.text, stamp }, dirs, io, ctx, out, err);
  }

  const maxWorkers = opts.maxWorkers ?? limits.max_workers;
  const timeoutSeconds = opts.timeout ?? limits.timeout_seconds;
  const stopLimits = opts.stopLimits || limits.stop_limits_enabled
    ? { maxConsecutiveFailures: limits.max_consecutive_failures, maxFailureRate: limits.max_failure_rate, minTasksForRateCheck: limits.min_tasks_for_rate_check }
    : null;

  if (!opts.run) {
    // Where a distributed run would go, resolved as the run resolves it (no connection is made).
    const nats = distributed ? await natsTarget(opts, dirs, io.env) : undefined;
    return printDryRun({ entries, template, config, maxWorkers, timeoutSeconds, ...(nats ? { nats } : {}) }, { ...io, env }, out);
  }

  // Run mode.
  if (distributed) {
    return distributedRunner(ctx)({
      nats: opts.nats, pool: opts.pool, replicas: opts.natsReplicas, entries, command: template.text, timeoutSeconds,
      stopLimits,
      maxOutputCapture: limits.max_output_capture, resultsFile: opts.results ? resolve(io.cwd, opts.results) : undefined,
      configFiles: [dirs.installationConfig, dirs.userConfig], quiet: opts.quiet, pid: ctx.pid, daemon: isDaemonChild,
      ...(opts.inProcess ? {} : { inProcess: false }),
      ...(opts.batch !== undefined ? { batch: opts.batch } : {}),
      ...(opts.backup ? { backupInputs: { argv: ctx.argv } } : {}),
      logging: {
        level: opts.debug ? 'DEBUG' : (config.logging.level as 'INFO'), maxBytes: config.logging.max_log_size_mb * 1024 * 1024,
        backups: config.logging.backup_count, taskOutput: opts.taskOutputLog ?? config.logging.task_output_log,
        ...(config.execution.workspace_isolation ? { isolatedWorkspaces: true } : {}),
      },
    }, io);
  }
  return runLocalSession({
    opts, dirs, io, ctx, config, template, entries, argumentsPath, envNames, env, isDaemonChild, stamp,
    maxWorkers,
    timeoutSeconds,
    startDelaySeconds: opts.sleep ?? limits.task_start_delay,
    stopLimits,
    stopDescription: `${limits.max_consecutive_failures} consecutive failures, or failure rate > ${(limits.max_failure_rate * 100).toFixed(0)}% after ${limits.min_tasks_for_rate_check} tasks`,
    out,
    err,
  });
}

/** -m and -t may not exceed the configured ceilings. */
function checkLimitOverrides(opts: CliOptions, config: ParallelrConfig): void {
  const limits = config.limits;
  if (opts.maxWorkers !== undefined && opts.maxWorkers > limits.max_allowed_workers) {
    throw new UsageError(`-m/--max must be a whole number from 1 to ${limits.max_allowed_workers} (limits.max_allowed_workers), got \`${opts.maxWorkers}\``);
  }
  if (opts.timeout !== undefined && opts.timeout > limits.max_allowed_timeout) {
    throw new UsageError(`-t/--timeout must be a whole number of seconds from 1 to ${limits.max_allowed_timeout} (limits.max_allowed_timeout), got \`${opts.timeout}\``);
  }
}

/** The servers and pool a distributed run of these options would use: flags, then environment, then config files. */
async function natsTarget(opts: CliOptions, dirs: ParallelrDirs, env: NodeJS.ProcessEnv): Promise<{ servers: string[]; pool: string }> {
  const { section, where } = await readNatsSections([dirs.installationConfig, dirs.userConfig]);
  const { servers, pool } = natsSettingsFrom(section, env, { url: opts.nats, pool: opts.pool, replicas: opts.natsReplicas }, where);
  return { servers, pool };
}

/** The distributed runner the bin handed in; without one, --nats/--pool/--resume cannot run. */
export function distributedRunner(ctx: RunContext): NonNullable<RunContext['runDistributed']> {
  if (ctx.runDistributed === undefined) throw new SetupError('--nats, --pool, --resume and --watch need the distributed runner, which the parallelr bin provides; start parallelr through its bin');
  return ctx.runDistributed;
}

/**
 * `-m` and `-s` shape the local pool only; a distributed run's agents each run up to their own
 * `--max` and start a job as soon as a slot frees. Said once (dry run too), so an operator does not
 * count on them.
 */
function noteLocalOnly(opts: CliOptions, err: Write): void {
  const given = [opts.maxWorkers !== undefined ? `-m ${opts.maxWorkers}` : '', opts.sleep !== undefined ? `-s ${opts.sleep}` : ''].filter(Boolean);
  if (!given.length) return;
  err(`parallelr: note: ${given.join(' and ')} ${given.length > 1 ? 'do' : 'does'} not apply to a distributed run: each agent runs up to its own --max at once and starts a job as soon as a slot frees`);
}
