/**
 * `parallelr --watch RUN_ID [--nats URL]`: follow a running distributed run from any shell: its
 * progress (from its controller) and the output lines of its jobs (from the agents), live over core
 * NATS, nothing stored (shared/nats/watch.ts). Ends when the run ends, with the run's exit code.
 */
import type { NatsConnection } from '@nats-io/transport-node';
import type { CliIo } from '../../shared/cli-io.js';
import { connectNats, parseRunStatus, parseWatchLines, WATCH_ANNOUNCE_MS, watchSubjects, type NatsSettings, type RunStatus } from '../../shared/nats/index.js';
import { escapeControlChars } from '../../shared/text/index.js';
import { ParallelrExit } from '../../shared/exit-codes.js';
import { readRunState } from './run-state.js';
import { whenAborted } from '../../shared/when-aborted.js';

/** How long the first answer may take, and how long a silent controller is believed alive. */
const ASK_TIMEOUT_MS = 3000;
const SILENCE_MS = 4 * WATCH_ANNOUNCE_MS;

export interface WatchOptions {
  runId: string;
  settings: NatsSettings;
  /** Where run-state files are: a finished run is named with its results file. */
  stateDir: string;
}

/** Follows the run until it ends (its exit code), the watcher is interrupted (130/143) or the run is not running (1). */
export async function watchRun(o: WatchOptions, io: CliIo): Promise<number> {
  const where = o.settings.servers.join(',');
  const err = (t: string) => io.stderr.write(`parallelr: ${t}\n`);
  let nc: NatsConnection;
  try {
    nc = await connectNats({ servers: o.settings.servers, auth: o.settings.auth, tls: o.settings.tls, name: `parallelr --watch ${o.runId}` });
  } catch (e) {
    err((e as Error).message);
    return ParallelrExit.FAILED;
  }
  try {
    return await follow(nc, o, where, io);
  } finally {
    await nc.close().catch(() => undefined);
  }
}

async function follow(nc: NatsConnection, o: WatchOptions, where: string, io: CliIo): Promise<number> {
  const { runId } = o;
  const out = (t: string) => io.stdout.write(`${t}\n`);
  let ended!: (code: number) => void;
  const done = new Promise<number>((r) => (ended = r));
  let lastHeard = Date.now();
  let shown = '';
  const show = (s: RunStatus) => {
    lastHeard = Date.now();
    const line = formatStatus(s);
    if (line !== shown) out(line);
    shown = line;
    if (s.state === 'ended') {
      out(`Run ${runId} ended: exit code ${s.exit_code ?? '?'}; results: ${s.results_file}`);
      ended(s.exit_code ?? ParallelrExit.FAILED);
    }
  };
  // Subscribed before asking, so the end of a run that ends meanwhile is not missed.
  nc.subscribe(watchSubjects.status(runId), {
    callback: (e, m) => {
      if (!e) withStatus(m.data, show);
    },
  });
  nc.subscribe(watchSubjects.runLines(runId), {
    callback: (e, m) => {
      if (e) return;
      const l = parseWatchLines(m.data);
      if (!l) return;
      const tag = `[${l.seq} ${l.task_file.slice(l.task_file.lastIndexOf('/') + 1)}@${l.agent}${l.stream === 'stderr' ? ' stderr' : ''}]`;
      if (l.dropped) out(`${tag} … ${l.dropped} line(s) not shown (rate bound)`);
      for (const line of l.lines) out(`${tag} ${escapeControlChars(line)}`);
    },
  });
  const first = await askRunController(nc, runId);
  if (first === undefined) {
    io.stderr.write(`parallelr: ${notRunning(o, where)}\n`);
    return ParallelrExit.FAILED;
  }
  out(`Watching run ${runId} via ${where}: ${first.total} task files; Ctrl-C stops watching, not the run`);
  const announce = () => nc.publish(watchSubjects.watching(runId));
  announce();
  const heartbeat = setInterval(async () => {
    announce();
    // The controller answers every announcement: a long silence means it is gone.
    if (Date.now() - lastHeard > SILENCE_MS && (await askRunController(nc, runId)) === undefined) {
      io.stderr.write(`parallelr: the controller of run ${runId} stopped answering (crashed?); resume the run with parallelr --resume ${runId}\n`);
      ended(ParallelrExit.FAILED);
    }
  }, WATCH_ANNOUNCE_MS);
  show(first);
  const onSignal = () => ended(io.signal?.reason === 'SIGTERM' ? ParallelrExit.SIGTERM : ParallelrExit.SIGINT);
  // Also a Ctrl-C that came while connecting and asking.
  const unlisten = whenAborted(io.signal, onSignal);
  try {
    return await done;
  } finally {
    clearInterval(heartbeat);
    unlisten();
  }
}

/** The run's status from its controller, or undefined when no controller answers. */
export async function askRunController(nc: NatsConnection, runId: string): Promise<RunStatus | undefined> {
  try {
    const m = await nc.request(watchSubjects.runInfo(runId), undefined, { timeout: ASK_TIMEOUT_MS });
    return parseRunStatus(m.data);
  } catch {
    return undefined;
  }
}

function withStatus(data: Uint8Array, fn: (s: RunStatus) => void): void {
  const s = parseRunStatus(data);
  if (s) fn(s);
}

/** `Progress: 3/10 done (2 ok, 1 failed), 2 running` */
export function formatStatus(s: RunStatus): string {
  const stop = s.state === 'stopping' ? `; stopping: ${s.stop_reason ?? ''}` : '';
  return `Progress: ${s.done}/${s.total} done (${s.ok} ok, ${s.failed} failed), ${s.running} running${stop}`;
}

/** Why there is nothing to watch: a finished run (its state file says so) or an unknown one. */
function notRunning(o: WatchOptions, where: string): string {
  const state = readRunState(o.stateDir, o.runId);
  if (!('error' in state) && state.status === 'done') {
    return `run ${o.runId} has finished; its results are in ${state.resultsFile}`;
  }
  if ('error' in state) return `no running distributed run ${o.runId} at ${where}: the id is unknown, or the run has finished (see parallelr --list-workers)`;
  return `no running distributed run ${o.runId} at ${where}: its state file says ${state.status}, but no controller answers (resume it with parallelr --resume ${o.runId})`;
}
