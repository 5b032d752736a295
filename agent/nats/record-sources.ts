/**
 * What a tasker job ships back (docs/nats.md "Records back"), in the bundle's order: the log, the
 * task copy beside it, the `-p` summary row, the `--output-json` document (for a job that did not
 * succeed, read for the failing task alone; or when the command names its own JSON, written on
 * the controller where it says), and the `--auto-recovery` state the run kept
 * (recovery-travel.ts). Two origins, the same files:
 * - an in-process run hands them over from memory (RunOptions.onRecords): the log and the task copy
 *   are read from disk, the summary row and the JSON come as text;
 * - a job started as a process wrote its JSON into its records directory: it names the log, the
 *   project summary holding the run's row and the recovery state (processRunMeta).
 */
import { closeSync, existsSync, openSync, readFileSync, readSync, readdirSync, statSync } from 'node:fs';
import { basename, dirname, extname, join } from 'node:path';
import { RECORD_CHUNK_BYTES, isShippedPath } from '../../shared/nats/index.js';
import type { MadeRecords } from '../../core/run/index.js';

/** One file of the bundle: its path in the records directory, its size, and its bytes (capped). */
export interface RecordSource {
  path: string;
  size: number;
  /** The bytes in pieces; above `cap`, its first and last `cap/2` bytes with a one-line note between them. */
  read(cap: number): Iterable<Buffer>;
}

/**
 * The files of an in-process run, from what its record stage handed over; `recovery`: the
 * `--auto-recovery` state file it kept for a resume, if any (recovery-travel.ts).
 */
export function madeSources(made: MadeRecords, taskFileName: string, withJson: boolean, recovery?: string): RecordSource[] {
  const out: RecordSource[] = [];
  const log = made.logFile;
  if (log && existsSync(log) && isShippedPath(`logs/${basename(log)}`)) out.push(...logAndCopy(log, taskFileName));
  // Also a run with no log (a file refused before it ran) has its row, as it has locally.
  for (const s of made.summaryRows) {
    const name = basename(s.path);
    if (isShippedPath(`logs/${name}`)) out.push(textSource(`logs/${name}`, Buffer.from(`${s.header}\n${s.row}\n`)));
  }
  if (withJson) out.push(textSource('result.json', Buffer.from(made.resultJson())));
  // It travels back to the controller.
  if (recovery) out.push(fileSource('recovery.json', recovery));
  return out;
}

/** What a tasker run started as a process says about its records in its JSON (`workflow_metadata`). */
export interface ProcessRunMeta {
  taskFile?: string;
  logFile?: string;
  /** null: no `-p`; undefined: a tasker that does not say (older than `summary_file`). */
  summaryFile?: string | null;
  /** The `--auto-recovery` state file, when the run used one. */
  recoveryFile?: string;
  /** The JSON as it was read, shipped as it is. */
  text: string;
}

/** The metadata of the JSON a job started as a process wrote (`--output-json DIR/result.json`); undefined when it wrote none. */
export function processRunMeta(dir: string): ProcessRunMeta | undefined {
  try {
    const text = readFileSync(join(dir, 'result.json'), 'utf8');
    const meta = (JSON.parse(text) as { workflow_metadata?: Record<string, unknown> }).workflow_metadata ?? {};
    const str = (v: unknown) => (typeof v === 'string' ? v : undefined);
    return {
      taskFile: str(meta['task_file']), logFile: str(meta['log_file']), recoveryFile: str(meta['recovery_file']),
      ...('summary_file' in meta ? { summaryFile: str(meta['summary_file']) ?? null } : {}),
      text,
    };
  } catch {
    return undefined;
  }
}

/**
 * The files of a job started as a process, from what its JSON (`meta`) names: its log and task
 * copy, its `-p` summary row (also a file refused before it ran has one), the JSON itself
 * (`withJson`), and the `--auto-recovery` state it left (`recovery`).
 */
export function fileSources(meta: ProcessRunMeta | undefined, taskFileName: string, withJson: boolean, recovery?: string): RecordSource[] {
  const out: RecordSource[] = [];
  if (meta) {
    const log = meta.logFile;
    if (log && existsSync(log) && isShippedPath(`logs/${basename(log)}`)) out.push(...logAndCopy(log, taskFileName));
    if (meta.summaryFile !== undefined) out.push(...summaryRowIn(meta.summaryFile, meta.taskFile, log));
    else if (log) out.push(...summaryRowsOf(log));
    if (withJson) out.push(textSource('result.json', Buffer.from(meta.text)));
  }
  if (recovery) out.push(fileSource('recovery.json', recovery));
  return out;
}

/** The log (`logs/NAME`) and the task copy beside it (`tasks/NAME`: same stem, the task file's extension). */
function logAndCopy(log: string, taskFileName: string): RecordSource[] {
  const out = [fileSource(`logs/${basename(log)}`, log)];
  const copy = join(dirname(dirname(log)), 'tasks', `${basename(log, '.log')}${extname(taskFileName) || '.txt'}`);
  if (existsSync(copy) && isShippedPath(`tasks/${basename(copy)}`)) out.push(fileSource(`tasks/${basename(copy)}`, copy));
  return out;
}

/** Bytes read from the end of a project summary to find this run's row (other runs append after it meanwhile). */
const SUMMARY_TAIL_BYTES = 256 * 1024;

/**
 * This run's row of the project summary its JSON names, as `logs/project_NAME_summary.log` (the
 * header and the row): the row naming its log, or, for a run that has none (refused before it
 * ran), the last row naming its task file without a log. The agent's summary keeps the row; the
 * controller appends it to its own.
 */
function summaryRowIn(summary: string | null, taskFile: string | undefined, log: string | undefined): RecordSource[] {
  if (!summary || !existsSync(summary) || !isShippedPath(`logs/${basename(summary)}`)) return [];
  const { header, rows } = summaryTail(summary);
  const ours = log ? rows.filter((line) => line.endsWith(`\t${log}`)) : rows.filter((line) => line.endsWith('\t-') && line.split('\t')[1] === taskFile).slice(-1);
  return ours.length ? [textSource(`logs/${basename(summary)}`, Buffer.from(`${header}${ours.join('\n')}\n`))] : [];
}

/**
 * The `-p` summary rows naming this run's log, from a tasker whose JSON does not name its summary:
 * each project summary of the log's directory is looked through.
 */
function summaryRowsOf(log: string): RecordSource[] {
  const logsDir = dirname(log);
  const out: RecordSource[] = [];
  for (const name of readdirSync(logsDir).filter((n) => /^project_.+_summary\.log$/.test(n)).sort()) {
    const { header, rows } = summaryTail(join(logsDir, name));
    const ours = rows.filter((line) => line.endsWith(`\t${log}`));
    if (ours.length === 0 || !isShippedPath(`logs/${name}`)) continue;
    out.push(textSource(`logs/${name}`, Buffer.from(`${header}${ours.join('\n')}\n`)));
  }
  return out;
}

/** A project summary's header line (when its start was read) and the rows of its tail. */
function summaryTail(path: string): { header: string; rows: string[] } {
  const text = readTail(path, SUMMARY_TAIL_BYTES);
  const header = text.startsWith('#') ? text.slice(0, text.indexOf('\n') + 1) : '';
  return { header, rows: text.split('\n').filter((line) => line && !line.startsWith('#')) };
}

/** The last `bytes` of a file (all of it when shorter), from a line start. */
function readTail(path: string, bytes: number): string {
  const fd = openSync(path, 'r');
  try {
    const size = statSync(path).size;
    const from = Math.max(0, size - bytes);
    const buf = Buffer.alloc(size - from);
    readSync(fd, buf, 0, buf.length, from);
    const text = buf.toString('utf8');
    return from === 0 ? text : text.slice(text.indexOf('\n') + 1);
  } finally {
    closeSync(fd);
  }
}

/** The byte ranges kept of a file of `size` bytes under `cap`, and the note between them. */
function cappedRanges(size: number, cap: number): { ranges: [number, number][]; note: Buffer } {
  const half = Math.floor(cap / 2);
  const ranges: [number, number][] = size <= cap ? [[0, size]] : [[0, half], [size - half, size]];
  const note = Buffer.from(`\n[tasker-agent: ${size - 2 * half} bytes of this file omitted here: it has ${size} bytes, above the ${cap}-byte records cap (nats.records_max_mb)]\n`);
  return { ranges, note };
}

function textSource(path: string, data: Buffer): RecordSource {
  return {
    path,
    size: data.length,
    *read(cap) {
      const { ranges, note } = cappedRanges(data.length, cap);
      for (const [i, [from, to]] of ranges.entries()) {
        if (i > 0) yield note;
        yield data.subarray(from, to);
      }
    },
  };
}

/** A file on disk, read in chunks when shipped. */
function fileSource(path: string, abs: string): RecordSource {
  const size = statSync(abs).size;
  return {
    path,
    size,
    *read(cap) {
      const fd = openSync(abs, 'r');
      try {
        const { ranges, note } = cappedRanges(size, cap);
        for (const [i, [from, to]] of ranges.entries()) {
          if (i > 0) yield note;
          for (let at = from; at < to; at += RECORD_CHUNK_BYTES) {
            const buf = Buffer.alloc(Math.min(RECORD_CHUNK_BYTES, to - at));
            const bytesRead = readSync(fd, buf, 0, buf.length, at);
            if (bytesRead > 0) yield buf.subarray(0, bytesRead);
            if (bytesRead < buf.length) break;
          }
        }
      } finally {
        closeSync(fd);
      }
    },
  };
}
