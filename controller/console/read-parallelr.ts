/** What a parallelr session's main log and results file tell about the session, read incrementally. */
import { basename } from 'node:path';
import { readHead, readSlice, readTail } from './read-slice.js';

export interface ParallelrLogFacts {
  pid: number;
  startMs: number;
  template?: string;
  taskPaths?: string;
  total?: number;
  workers?: number;
  /** Set once the session logged its end. */
  completed?: { total: number; succeeded: number; failed: number; cancelled: number };
}

const MAIN_LOG = /^parallelr_(\d+)_(\d{2})([A-Z][a-z]{2})(\d{2})_(\d{2})(\d{2})(\d{2})\.log$/;
const MONTHS = ['Jan', 'Feb', 'Mar', 'Apr', 'May', 'Jun', 'Jul', 'Aug', 'Sep', 'Oct', 'Nov', 'Dec'];
const COMPLETED = /Execution completed: total (\d+), succeeded (\d+), failed (\d+), cancelled (\d+)/;

export function isParallelrMainLog(path: string): boolean {
  return MAIN_LOG.test(basename(path));
}

/** The results file that belongs to a main log (`…_results.jsonl` beside it). */
export function resultsOfMainLog(path: string): string {
  return path.replace(/\.log$/, '_results.jsonl');
}

export function readParallelrLog(path: string, size: number, mtimeMs: number): ParallelrLogFacts | undefined {
  const m = MAIN_LOG.exec(basename(path));
  if (!m) return undefined;
  const [, pid, d, mon, y, h, mi, s] = m as unknown as [string, string, string, string, string, string, string, string];
  const month = MONTHS.indexOf(mon);
  const start = new Date(2000 + Number(y), month, Number(d), Number(h), Number(mi), Number(s)).getTime();
  const facts: ParallelrLogFacts = { pid: Number(pid), startMs: month >= 0 ? start : mtimeMs };
  for (const line of readHead(path, size).slice(0, 20)) {
    const text = line.replace(/^.* - P\d+ - [A-Z]+ - /, '');
    if (text.startsWith('Command template: ')) facts.template = text.slice(18);
    else if (text.startsWith('Task paths: ')) facts.taskPaths = text.slice(12);
    else if (text.startsWith('Arguments file: ')) facts.taskPaths ??= text.slice(16);
    const tw = /^Tasks: (\d+)\s+Workers: (\d+)/.exec(text);
    if (tw) {
      facts.total = Number(tw[1]);
      facts.workers = Number(tw[2]);
    }
  }
  for (const line of readTail(path, size, 8192)) {
    const c = COMPLETED.exec(line);
    if (c) facts.completed = { total: Number(c[1]), succeeded: Number(c[2]), failed: Number(c[3]), cancelled: Number(c[4]) };
  }
  return facts;
}

/** Counts of a results file, kept up to date by reading only what was appended since the last read. */
export interface ResultsTally {
  offset: number;
  done: number;
  ok: number;
  failed: number;
  firstStartMs?: number;
  lastEndMs?: number;
  /** The last few failures, newest last (task file and status), for the live view. */
  recentFailures: { task: string; status: string; exitCode: number; agent?: string }[];
  /** Finished tasks per agent (distributed runs) or per worker slot. */
  perAgent: Map<string, number>;
}

export function emptyTally(): ResultsTally {
  return { offset: 0, done: 0, ok: 0, failed: 0, recentFailures: [], perAgent: new Map() };
}

const CHUNK = 1 << 20;

/** Reads the rows appended to `path` since `tally.offset` (whole lines only), at most a few MiB per call. */
export function advanceTally(tally: ResultsTally, path: string, size: number): ResultsTally {
  if (size < tally.offset) Object.assign(tally, emptyTally());
  for (let rounds = 0; tally.offset < size && rounds < 8; rounds++) {
    const text = readSlice(path, tally.offset, Math.min(CHUNK, size - tally.offset));
    const last = text.lastIndexOf('\n');
    if (last < 0) break;
    for (const line of text.slice(0, last).split('\n')) countRow(tally, line);
    tally.offset += Buffer.byteLength(text.slice(0, last + 1));
  }
  return tally;
}

function countRow(tally: ResultsTally, line: string): void {
  let row: { task_file?: unknown; status?: unknown; exit_code?: unknown; start_time?: unknown; end_time?: unknown; agent?: unknown; worker?: unknown };
  try {
    row = JSON.parse(line) as typeof row;
  } catch {
    return;
  }
  if (typeof row !== 'object' || row === null) return;
  tally.done++;
  if (row.status === 'SUCCESS') tally.ok++;
  else {
    tally.failed++;
    tally.recentFailures.push({ task: String(row.task_file ?? ''), status: String(row.status ?? ''), exitCode: Number(row.exit_code ?? -1), agent: typeof row.agent === 'string' ? row.agent : undefined });
    if (tally.recentFailures.length > 20) tally.recentFailures.shift();
  }
  const start = Date.parse(String(row.start_time ?? ''));
  const end = Date.parse(String(row.end_time ?? ''));
  if (Number.isFinite(start)) tally.firstStartMs = Math.min(tally.firstStartMs ?? start, start);
  if (Number.isFinite(end)) tally.lastEndMs = Math.max(tally.lastEndMs ?? end, end);
  const who = typeof row.agent === 'string' && row.agent ? row.agent : `worker ${String(row.worker ?? '?')}`;
  tally.perAgent.set(who, (tally.perAgent.get(who) ?? 0) + 1);
}
