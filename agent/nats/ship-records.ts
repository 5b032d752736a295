/**
 * Records back (docs/nats.md "Records back"): when a job's command runs tasker, the job runs with
 * `--output-json DIR/result.json` appended (the last --output-json wins in tasker's argument
 * parser), DIR being a records directory of its own next to the job's workspace. Tasker keeps its
 * log, task copy, summaries and recovery state where the template says (`-l`, TASK_EXECUTOR_LOG,
 * the config, ~/TASKER) on the agent, as a run started by hand there would. After the job, the log
 * the JSON names and its task copy are shipped to TASKER_RECORDS in chunks, with the JSON — a file
 * above the job's cap as its first and last halves with a note between them — and DIR is removed.
 * Shipping never fails the job: what could not be shipped is named in `records.note`.
 * The file work is synchronous: a few small local files, cheaper than promise round trips.
 */
import { closeSync, existsSync, mkdtempSync, openSync, readFileSync, readSync, readdirSync, rmSync, statSync, writeFileSync } from 'node:fs';
import { basename, dirname, extname, join } from 'node:path';
import type { JetStreamClient } from '@nats-io/jetstream';
import { quoteArg, splitArgs, taskerArguments } from '../../shared/exec/index.js';
import { RECORD_CHUNK_BYTES, isShippedPath, parseRecordsCap, recordSubjects } from '../../shared/nats/index.js';
import type { JobMessage, ResultMessage, ShippedRecords } from '../../shared/nats/index.js';
import { workspacePrefix } from './workspaces.js';

/** A tasker job's records directory and the job with the record arguments appended. */
export interface RecordsPlan {
  dir: string;
  job: JobMessage;
  /** What was appended to the command (left out of the result's `command_executed`). */
  appended: string;
}

/** A plan when `job` runs tasker (the rule local parallelr uses for its in-process engine), else undefined; never throws. */
export function planRecords(job: JobMessage, workdir: string): RecordsPlan | undefined {
  const split = splitArgs(job.command);
  if (split.error || !taskerArguments(split.args)) return undefined;
  let dir: string;
  try {
    dir = mkdtempSync(workspacePrefix(workdir, job.run_id, job.seq));
  } catch {
    return undefined; // the job's own workspace will fail the same way, and say so
  }
  const appended = ` --output-json ${quoteArg(join(dir, 'result.json'))}`;
  return { dir, job: { ...job, command: job.command + appended }, appended };
}

/** Ship the records into `result.records`, and show the command as the operator's template made it. */
export async function attachRecords(js: JetStreamClient, plan: RecordsPlan, result: ResultMessage, maxPayload: number): Promise<void> {
  if (result.command_executed.endsWith(plan.appended)) result.command_executed = result.command_executed.slice(0, -plan.appended.length);
  result.records = await shipRecords(js, plan, result, maxPayload);
}

/**
 * Ship what tasker wrote into `plan.dir` as one bundle (the files one after another, cut into
 * chunks: a typical job is one message), then remove the directory; never throws. The JSON is
 * shipped only for a job that did not succeed: it is read for the failing task alone.
 */
async function shipRecords(js: JetStreamClient, plan: RecordsPlan, result: ResultMessage, maxPayload: number): Promise<ShippedRecords> {
  const { job } = plan;
  const cap = parseRecordsCap(job.records_cap);
  const out = new ChunkWriter(js, (n) => recordSubjects.chunk(job.run_id, job.seq, result.delivery, n), Math.max(1024, Math.min(RECORD_CHUNK_BYTES, maxPayload - 4096)));
  const shipped: ShippedRecords = { delivery: result.delivery, chunks: 0, files: [] };
  const notes: string[] = [];
  try {
    const files = listRecordFiles(plan.dir, job.file_name).filter((f) => f.path !== 'result.json' || result.status !== 'SUCCESS');
    for (const { path, abs } of files) {
      const size = statSync(abs).size;
      if (size > cap && path === 'result.json') {
        notes.push(`result.json not shipped: ${size} bytes, above the ${cap}-byte cap`);
        continue;
      }
      let bytes = 0;
      for (const piece of readCapped(abs, size, cap)) {
        await out.write(piece);
        bytes += piece.length;
      }
      shipped.files.push({ path, size, shipped: bytes, capped: size > cap });
    }
  } catch (e) {
    notes.push(`records not shipped in full: ${(e as Error).message}`);
  } finally {
    try {
      rmSync(plan.dir, { recursive: true, force: true });
    } catch {
      // left for the dead-workspace sweep (workspaces.ts)
    }
  }
  try {
    shipped.chunks = await out.end();
  } catch (e) {
    notes.push(`records not shipped: ${(e as Error).message}`);
    shipped.files = [];
  }
  if (notes.length) shipped.note = notes.join('; ');
  return shipped;
}

/** Publishes a byte stream as numbered messages of `size` bytes (the last one shorter). */
class ChunkWriter {
  private pending: Buffer[] = [];
  private bytes = 0;
  private count = 0;
  constructor(private readonly js: JetStreamClient, private readonly subject: (n: number) => string, private readonly size: number) {}
  async write(piece: Buffer): Promise<void> {
    this.pending.push(piece);
    this.bytes += piece.length;
    while (this.bytes >= this.size) {
      const all = Buffer.concat(this.pending);
      await this.publish(all.subarray(0, this.size));
      this.pending = [all.subarray(this.size)];
      this.bytes = all.length - this.size;
    }
  }
  /** Publish the rest; returns how many messages were published. */
  async end(): Promise<number> {
    if (this.bytes > 0) await this.publish(Buffer.concat(this.pending));
    this.pending = [];
    this.bytes = 0;
    return this.count;
  }
  private async publish(data: Buffer): Promise<void> {
    await this.js.publish(this.subject(this.count), data);
    this.count++;
  }
}

/**
 * What the run recorded: the log file its JSON names (`logs/NAME`), the task copy beside it
 * (`tasks/NAME`: same stem, the task file's extension), and the JSON itself (`result.json`).
 */
function listRecordFiles(dir: string, taskFileName: string): { path: string; abs: string }[] {
  const json = join(dir, 'result.json');
  if (!existsSync(json)) return [];
  const out: { path: string; abs: string }[] = [];
  const log = logFileOf(json);
  if (log && existsSync(log) && isShippedPath(`logs/${basename(log)}`)) {
    out.push({ path: `logs/${basename(log)}`, abs: log });
    const copy = join(dirname(dirname(log)), 'tasks', `${basename(log, '.log')}${extname(taskFileName) || '.txt'}`);
    if (existsSync(copy) && isShippedPath(`tasks/${basename(copy)}`)) out.push({ path: `tasks/${basename(copy)}`, abs: copy });
    out.push(...summaryRowsOf(log, dir));
  }
  out.push({ path: 'result.json', abs: json });
  return out;
}

/** Bytes read from the end of a project summary to find this run's row (other runs append after it meanwhile). */
const SUMMARY_TAIL_BYTES = 256 * 1024;

/**
 * The `-p` summary rows naming this run's log, each project's written to DIR as
 * `project_NAME_summary.log` (its header and the row) and shipped as `logs/` + that name: the
 * agent's own summary keeps the row, the controller appends it to its own.
 */
function summaryRowsOf(log: string, dir: string): { path: string; abs: string }[] {
  const logsDir = dirname(log);
  const out: { path: string; abs: string }[] = [];
  for (const name of readdirSync(logsDir).filter((n) => /^project_.+_summary\.log$/.test(n)).sort()) {
    const text = readTail(join(logsDir, name), SUMMARY_TAIL_BYTES);
    const rows = text.split('\n').filter((line) => line.endsWith(`\t${log}`));
    if (rows.length === 0 || !isShippedPath(`logs/${name}`)) continue;
    const header = text.startsWith('#') ? text.slice(0, text.indexOf('\n') + 1) : '';
    const abs = join(dir, name);
    writeFileSync(abs, `${header}${rows.join('\n')}\n`, { mode: 0o600 });
    out.push({ path: `logs/${name}`, abs });
  }
  return out;
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

/** `workflow_metadata.log_file` of a tasker JSON result; undefined when it has none or cannot be read. */
function logFileOf(jsonPath: string): string | undefined {
  try {
    const meta = (JSON.parse(readFileSync(jsonPath, 'utf8')) as { workflow_metadata?: { log_file?: unknown } }).workflow_metadata;
    return typeof meta?.log_file === 'string' ? meta.log_file : undefined;
  } catch {
    return undefined;
  }
}

/** The file in chunks; above `cap`, its first and last `cap/2` bytes with a one-line note between them. */
function* readCapped(path: string, size: number, cap: number): Generator<Buffer> {
  const fd = openSync(path, 'r');
  try {
    const ranges: [number, number][] = size <= cap ? [[0, size]] : [[0, Math.floor(cap / 2)], [size - Math.floor(cap / 2), size]];
    for (const [i, [from, to]] of ranges.entries()) {
      if (i > 0) {
        const omitted = size - 2 * Math.floor(cap / 2);
        yield Buffer.from(`\n[tasker-agent: ${omitted} bytes of this file omitted here: it has ${size} bytes, above the ${cap}-byte records cap (nats.records_max_mb)]\n`);
      }
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
}
