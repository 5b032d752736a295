/**
 * Records back (docs/nats.md "Records back"): when a job's command runs tasker, the job runs with
 * `-l DIR --output-json DIR/result.json` appended (the last -l and --output-json win in tasker's
 * argument parser), DIR being a records directory of its own next to the job's workspace. After
 * the job, every file tasker wrote there is shipped to TASKER_RECORDS in chunks — a file above the
 * job's cap as its first and last halves with a note between them — and the directory is removed.
 * Shipping never fails the job: what could not be shipped is named in `records.note`.
 * The file work is synchronous: a few small local files, cheaper than promise round trips.
 */
import { closeSync, existsSync, mkdtempSync, openSync, readSync, readdirSync, rmSync, statSync } from 'node:fs';
import { join } from 'node:path';
import type { JetStreamClient } from '@nats-io/jetstream';
import { quoteArg, splitArgs, taskerArguments } from '../../shared/exec/index.js';
import { MAX_RECORD_FILES, RECORD_CHUNK_BYTES, isShippedPath, parseRecordsCap, recordSubjects } from '../../shared/nats/index.js';
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
  const appended = ` -l ${quoteArg(dir)} --output-json ${quoteArg(join(dir, 'result.json'))}`;
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
    const paths = listRecordFiles(plan.dir).filter((p) => p !== 'result.json' || result.status !== 'SUCCESS');
    if (paths.length > MAX_RECORD_FILES) notes.push(`${paths.length - MAX_RECORD_FILES} record files not shipped (at most ${MAX_RECORD_FILES})`);
    for (const path of paths.slice(0, MAX_RECORD_FILES)) {
      const size = statSync(join(plan.dir, path)).size;
      if (size > cap && path === 'result.json') {
        notes.push(`result.json not shipped: ${size} bytes, above the ${cap}-byte cap`);
        continue;
      }
      let bytes = 0;
      for (const piece of readCapped(join(plan.dir, path), size, cap)) {
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

/** Files tasker wrote (`logs/*`, `tasks/*`, `result.json`), in a stable order. */
function listRecordFiles(dir: string): string[] {
  const out: string[] = [];
  for (const sub of ['logs', 'tasks']) {
    let names: string[] = [];
    try {
      names = readdirSync(join(dir, sub));
    } catch {
      // tasker wrote nothing there
    }
    for (const n of names.sort()) if (isShippedPath(`${sub}/${n}`)) out.push(`${sub}/${n}`);
  }
  if (existsSync(join(dir, 'result.json'))) out.push('result.json');
  return out;
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
