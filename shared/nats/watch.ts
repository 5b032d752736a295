/**
 * `parallelr --watch RUN_ID`: live, never stored (core NATS only). A watcher announces itself on
 * `tasker.watching.<run>` every few seconds; while it does, the run's controller publishes the
 * run's progress on `tasker.status.<run>` and agents publish the output lines of the run's jobs on
 * `tasker.watch.<run>.<seq>`. Nobody watching: nothing is published. A watcher first asks
 * `tasker.runinfo.<run>` (request/reply, answered by the controller only) whether the run is running.
 */
import { isSubjectToken } from './subjects.js';

/** How often a watcher announces itself, and how long agents and controllers believe it. */
export const WATCH_ANNOUNCE_MS = 2000;
export const WATCH_EXPIRES_MS = 7000;

export const watchSubjects = {
  /** A watcher's heartbeat (payload empty). */
  watching: (runId: string) => `tasker.watching.${runId}`,
  watchingAll: 'tasker.watching.*',
  /** A job's output lines. */
  lines: (runId: string, seq: number) => `tasker.watch.${runId}.${seq}`,
  runLines: (runId: string) => `tasker.watch.${runId}.*`,
  /** The controller's progress while watched, and its last message when the run ends. */
  status: (runId: string) => `tasker.status.${runId}`,
  /** Request/reply: the controller answers with a {@link RunStatus}. */
  runInfo: (runId: string) => `tasker.runinfo.${runId}`,
} as const;

/** Output lines of one job (a batch: one message per chunk of output, not per line). */
export interface WatchLines {
  type: 'lines';
  run_id: string;
  seq: number;
  /** The task file as the operator named it. */
  task_file: string;
  agent: string;
  stream: 'stdout' | 'stderr';
  lines: string[];
  /** Lines not sent since the last batch (the per-job rate bound). */
  dropped?: number;
}

/** A distributed run's progress, as its controller sees it. */
export interface RunStatus {
  type: 'status';
  run_id: string;
  state: 'running' | 'stopping' | 'ended';
  total: number;
  done: number;
  ok: number;
  failed: number;
  running: number;
  /** Set when `state` is `ended`: the run's exit code (as the controller exits). */
  exit_code?: number;
  results_file: string;
  /** Why the run is stopping (stop limit, signal), when it is. */
  stop_reason?: string;
}

const decoder = new TextDecoder();
const encoder = new TextEncoder();

export function encodeWatch(m: WatchLines | RunStatus): Uint8Array {
  return encoder.encode(JSON.stringify(m));
}

function decodeObject(data: Uint8Array): Record<string, unknown> | undefined {
  try {
    const v = JSON.parse(decoder.decode(data)) as unknown;
    return typeof v === 'object' && v !== null && !Array.isArray(v) ? (v as Record<string, unknown>) : undefined;
  } catch {
    return undefined;
  }
}

/** A WatchLines message, or undefined when it is not one (display only: a bad one is skipped). */
export function parseWatchLines(data: Uint8Array): WatchLines | undefined {
  const o = decodeObject(data);
  if (!o || o.type !== 'lines' || typeof o.run_id !== 'string' || !isSubjectToken(o.run_id)) return undefined;
  if (typeof o.seq !== 'number' || typeof o.agent !== 'string' || (o.stream !== 'stdout' && o.stream !== 'stderr')) return undefined;
  if (!Array.isArray(o.lines) || !o.lines.every((l) => typeof l === 'string')) return undefined;
  const taskFile = typeof o.task_file === 'string' ? o.task_file : '';
  const m: WatchLines = { type: 'lines', run_id: o.run_id, seq: o.seq, task_file: taskFile, agent: o.agent, stream: o.stream, lines: o.lines as string[] };
  if (typeof o.dropped === 'number' && o.dropped > 0) m.dropped = o.dropped;
  return m;
}

/** A RunStatus message, or undefined when it is not one. */
export function parseRunStatus(data: Uint8Array): RunStatus | undefined {
  const o = decodeObject(data);
  if (!o || o.type !== 'status' || typeof o.run_id !== 'string') return undefined;
  if (o.state !== 'running' && o.state !== 'stopping' && o.state !== 'ended') return undefined;
  const n = (k: string) => (typeof o[k] === 'number' ? (o[k] as number) : 0);
  const s: RunStatus = {
    type: 'status', run_id: o.run_id, state: o.state, total: n('total'), done: n('done'), ok: n('ok'), failed: n('failed'), running: n('running'),
    results_file: typeof o.results_file === 'string' ? o.results_file : '',
  };
  if (typeof o.exit_code === 'number') s.exit_code = o.exit_code;
  if (typeof o.stop_reason === 'string') s.stop_reason = o.stop_reason;
  return s;
}
