import type { CliIo } from '../../shared/cli-io.js';
import { mergeHostTallies, type HostTallies } from '../../shared/hosts/index.js';
import { buildTaskCommand, type CommandTemplate } from './command.js';
import { loadTaskerMain, taskerArguments, type TaskerMain } from './in-process.js';
import type { ParallelRunOptions, ParallelRunResult } from './parallel-run-options.js';
import { notStartedRecord } from './results-writer.js';
import { runOneTask, type TaskRunContext } from './run-one-task.js';
import { createStopLimitTracker } from './stop-limits.js';
import { cancelMessage } from './task-outcome.js';
import type { OutputTail } from './task-output.js';
import type { TaskRecord } from './types.js';
import { fanOutAbortController } from '../../shared/when-aborted.js';

/**
 * Runs every entry on a bounded async pool and records one result per entry.
 *
 * Stopping (io.signal, or a stop limit) aborts one shared controller: running tasks get their process
 * group killed (SIGTERM, SIGKILL after the grace) and are recorded CANCELLED, as is everything that had
 * not started yet. The returned records are complete in every case.
 */
export async function runParallel(options: ParallelRunOptions, io: CliIo): Promise<ParallelRunResult> {
  const t0 = Date.now();
  const entries = options.entries;
  const total = entries.length;
  const stop = fanOutAbortController();
  let interrupted: string | undefined;
  const onAbort = () => {
    interrupted = String(io.signal?.reason ?? 'SIGTERM');
    options.log?.warn(`Received ${interrupted}: cancelling remaining tasks`);
    options.progress?.note(`Received ${interrupted}: stopping, running tasks are killed, the rest is cancelled`);
    stop.abort(interrupted);
  };
  if (io.signal?.aborted) onAbort();
  else io.signal?.addEventListener('abort', onAbort, { once: true });

  const tracker = options.stopLimits ? createStopLimitTracker(options.stopLimits) : undefined;
  let stopReason: string | undefined;
  const records: TaskRecord[] = [];
  const recorded = new Array<boolean>(total).fill(false);
  let inProcessCount = 0;
  const hosts: HostTallies = {};
  let hostsFiles = 0;
  const taskerMain: TaskerMain | undefined =
    options.inProcessTasker !== false && templateRunsTasker(options.template) ? await loadTaskerMain() : undefined;
  if (taskerMain) options.log?.info('Command runs tasker: using the in-process engine (no process start per task file)');

  const record = (r: TaskRecord, i: number, out?: { stdout: OutputTail; stderr: OutputTail }) => {
    recorded[i] = true;
    records.push(r);
    options.results?.write(r);
    if (out && r.start_time !== null) options.taskOutput?.write(r, out);
    options.progress?.finished(r, i + 1);
    options.onRecord?.(r, { done: records.length, total });
  };
  const taskCtx: TaskRunContext = {
    options,
    total,
    env: io.env,
    taskerMain,
    stop: stop.signal,
    onInProcess: () => inProcessCount++,
    onHostTallies: (h) => {
      hostsFiles++;
      mergeHostTallies(hosts, h);
    },
  };
  const waitForStartSlot = createStartPacer(options.startDelaySeconds ?? 0, stop.signal);

  let next = 0;
  const worker = async (slot: number) => {
    for (;;) {
      if (stop.signal.aborted) return;
      const i = next++;
      if (i >= total) return;
      await waitForStartSlot();
      const entry = entries[i]!;
      if (options.beforeTask) await options.beforeTask(entry);
      if (stop.signal.aborted) return;
      const r = await runOneTask(entry, slot, taskCtx);
      record(r.record, i, r.output);
      if (tracker && r.record.status !== 'CANCELLED') {
        const reason = tracker.record(r.record.status);
        if (reason && !stopReason && !stop.signal.aborted) {
          stopReason = reason;
          options.log?.error(reason);
          options.progress?.note(reason);
          stop.abort('STOP_LIMIT');
        }
      }
    }
  };

  const slots = Math.max(1, Math.min(options.maxWorkers, total));
  await Promise.all(Array.from({ length: slots }, (_, k) => worker(k + 1)));
  io.signal?.removeEventListener('abort', onAbort);

  const why = cancelMessage(stop.signal.reason);
  for (let i = 0; i < total; i++) {
    if (recorded[i]) continue;
    const e = entries[i]!;
    const command = buildTaskCommand(options.template, e);
    record(notStartedRecord({ session_id: options.sessionId, task_file: e.taskFile, arguments: e.arguments, command: 'error' in command ? '' : command.display }, 'CANCELLED', why), i);
  }
  options.progress?.done();
  return { records, stopReason, interrupted, elapsedSeconds: (Date.now() - t0) / 1000, inProcessCount, hosts, hostsFiles };
}

function templateRunsTasker(t: CommandTemplate): boolean {
  return taskerArguments(t.argv) !== undefined;
}

/** A wait that spaces task starts `delaySeconds` apart (not before the first); ends early on stop. */
function createStartPacer(delaySeconds: number, stop: AbortSignal): () => Promise<void> {
  const delayMs = Math.max(0, delaySeconds * 1000);
  let nextStartAt = 0;
  return async () => {
    if (delayMs === 0) return;
    const now = Date.now();
    const at = Math.max(now, nextStartAt);
    nextStartAt = at + delayMs;
    if (at > now) await sleep(at - now, stop);
  };
}

function sleep(ms: number, signal: AbortSignal): Promise<void> {
  return new Promise((resolve) => {
    if (signal.aborted) return resolve();
    const done = () => {
      clearTimeout(timer);
      signal.removeEventListener('abort', done);
      resolve();
    };
    const timer = setTimeout(done, ms);
    signal.addEventListener('abort', done, { once: true });
  });
}
