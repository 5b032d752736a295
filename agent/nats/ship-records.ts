/**
 * Records back (docs/nats.md "Records back"): when a job's command runs tasker, the job runs with
 * `--output-json DIR/result.json` appended (the last --output-json wins in tasker's argument
 * parser), DIR being a records directory of its own next to the job's workspace. Tasker keeps its
 * log, task copy, summaries and recovery state where the template says (`-l`, TASK_EXECUTOR_LOG,
 * the config, ~/TASKER) on the agent, as a run started by hand there would. After the job, the log
 * its JSON names, its task copy, its `-p` summary row and (for a job that did not succeed) the JSON
 * are shipped back (record-sources.ts) — a file above the job's cap as its first and last halves
 * with a note between them — inline in the result when the bundle is small and the controller
 * reads that (`records_inline`), else in chunks on TASKER_RECORDS.
 * - In-process (run-tasker-job.ts), the record stage hands its records over in memory
 *   (RunOptions.onRecords) and takes the JSON: DIR is never created, nothing is read back.
 * - Started as a process, tasker creates DIR when it writes the JSON (the agent does, first, to
 *   place the `--auto-recovery` state the job brought: recovery-travel.ts); DIR is removed after
 *   shipping.
 * Shipping never fails the job: what could not be shipped is named in `records.note`.
 * The file work is synchronous: a few small local files, cheaper than promise round trips.
 */
import { rmSync } from 'node:fs';
import { join } from 'node:path';
import type { JetStreamClient } from '@nats-io/jetstream';
import { quoteArg, splitArgs, taskerArguments } from '../../shared/exec/index.js';
import { INLINE_RECORDS_BYTES, RECORD_CHUNK_BYTES, parseRecordsCap, recordSubjects } from '../../shared/nats/index.js';
import type { JobMessage, ResultMessage, ShippedRecords } from '../../shared/nats/index.js';
import type { MadeRecords } from '../../core/run/index.js';
import { fileSources, madeSources, processRunMeta } from './record-sources.js';
import { workspacePrefix } from './workspaces.js';
import { forgetRecovery, processRecoveryFile, recoveryLeft } from './recovery-travel.js';

/** A tasker job's records directory and the job with the record arguments appended. */
export interface RecordsPlan {
  /** Created by tasker when a job started as a process writes its JSON; never for an in-process one. */
  dir: string;
  job: JobMessage;
  /** What was appended to the command (left out of the result's `command_executed`). */
  appended: string;
  /** What an in-process run's record stage handed over (takeMadeRecords). */
  made?: MadeRecords;
  /** The operator's command names its own `--output-json` (superseded here): the JSON is shipped whatever the outcome, to be written on the controller. */
  ownJson: boolean;
}

/** Makes each records directory name of this process its own (the prefix names the run, seq and pid). */
let planned = 0;

/** A plan when `job` runs tasker (the rule local parallelr uses for its in-process engine), else undefined; never throws. */
export function planRecords(job: JobMessage, workdir: string): RecordsPlan | undefined {
  const split = splitArgs(job.command);
  const args = split.error ? undefined : taskerArguments(split.args);
  if (!args) return undefined;
  const dir = `${workspacePrefix(workdir, job.run_id, job.seq)}r${++planned}`;
  const appended = ` --output-json ${quoteArg(join(dir, 'result.json'))}`;
  const ownJson = args.some((a) => a === '--output-json' || a.startsWith('--output-json='));
  return { dir, job: { ...job, command: job.command + appended }, appended, ownJson };
}

/** For RunOptions.onRecords of an in-process run: keep what it made, and take its JSON (no file). */
export function takeMadeRecords(plan: RecordsPlan): (made: MadeRecords) => boolean {
  return (made) => {
    plan.made = made;
    return true;
  };
}

/** Ship the records into `result.records`, and show the command as the operator's template made it. */
export async function attachRecords(js: JetStreamClient, plan: RecordsPlan, result: ResultMessage, maxPayload: number): Promise<void> {
  if (result.command_executed.endsWith(plan.appended)) result.command_executed = result.command_executed.slice(0, -plan.appended.length);
  result.records = await shipRecords(js, plan, result, maxPayload);
}

/**
 * Ship the job's records as one bundle (the files one after another: inline, or cut into chunks, a
 * typical chunked job being one message), then remove the records directory; never throws.
 */
async function shipRecords(js: JetStreamClient, plan: RecordsPlan, result: ResultMessage, maxPayload: number): Promise<ShippedRecords> {
  const { job } = plan;
  const cap = parseRecordsCap(job.records_cap);
  const chunkBytes = Math.max(1024, Math.min(RECORD_CHUNK_BYTES, maxPayload - 4096));
  const out = new BundleWriter(js, (n) => recordSubjects.chunk(job.run_id, job.seq, result.delivery, n), chunkBytes, inlineBound(job, result, maxPayload));
  const shipped: ShippedRecords = { delivery: result.delivery, chunks: 0, files: [] };
  const notes: string[] = [];
  // The JSON is read for a failing task alone, unless the operator asked for it (ownJson).
  const withJson = plan.ownJson || result.status !== 'SUCCESS';
  let recoveryFile: string | undefined;
  try {
    const meta = plan.made ? undefined : processRunMeta(plan.dir);
    // The run's state file: the one an in-process run asked for, the one a process's JSON names, or
    // (a process that wrote no JSON) the one it was told; only the first two say the run used one.
    const used = plan.made ? plan.made.recoveryFile : meta?.recoveryFile;
    recoveryFile = used ?? (plan.made ? undefined : processRecoveryFile(plan.dir));
    const recovery = recoveryLeft(recoveryFile, used !== undefined);
    if (recovery === 'dropped') shipped.recovery_dropped = true;
    const kept = recovery === 'dropped' ? undefined : recovery?.kept;
    const sources = plan.made ? madeSources(plan.made, job.file_name, withJson, kept) : fileSources(meta, job.file_name, withJson, kept);
    for (const source of sources) {
      // Whole or not at all: half of a JSON document is no use.
      if (source.size > cap && (source.path === 'result.json' || source.path === 'recovery.json')) {
        notes.push(`${source.path} not shipped: ${source.size} bytes, above the ${cap}-byte cap${source.path === 'recovery.json' ? ' (the controller keeps its earlier recovery state, if any)' : ''}`);
        continue;
      }
      let bytes = 0;
      for (const piece of source.read(cap)) {
        await out.write(piece);
        bytes += piece.length;
      }
      shipped.files.push({ path: source.path, size: source.size, shipped: bytes, capped: source.size > cap });
    }
  } catch (e) {
    notes.push(`records not shipped in full: ${(e as Error).message}`);
  } finally {
    forgetRecovery(recoveryFile);
    if (!plan.made) removeDir(plan.dir);
  }
  try {
    const end = await out.end();
    shipped.chunks = end.chunks;
    if (end.inline) shipped.inline = end.inline.toString('base64');
  } catch (e) {
    notes.push(`records not shipped: ${(e as Error).message}`);
    shipped.files = [];
  }
  if (notes.length) shipped.note = notes.join('; ');
  return shipped;
}

function removeDir(dir: string): void {
  try {
    rmSync(dir, { recursive: true, force: true });
  } catch {
    // left for the dead-workspace sweep (workspaces.ts)
  }
}

/**
 * The largest bundle that goes inline in `result`: none for an older controller (no
 * `records_inline`); else INLINE_RECORDS_BYTES, less when the rest of the result (its texts at
 * their worst JSON escaping, and room to spare) and the base64 would not fit `maxPayload`.
 */
function inlineBound(job: JobMessage, result: ResultMessage, maxPayload: number): number {
  if (job.records_inline !== true) return 0;
  const texts = result.stdout_tail.length + result.stderr_tail.length + (result.failure_detail?.reason?.length ?? 0) + result.command_executed.length + result.error_message.length + result.task_file.length;
  const room = maxPayload - 6 * texts - 16 * 1024;
  return Math.max(0, Math.min(INLINE_RECORDS_BYTES, Math.floor((room * 3) / 4)));
}

/**
 * Collects a byte stream in memory while it fits `inlineUpTo`; past that, publishes it as numbered
 * messages of `size` bytes (the last one shorter).
 */
class BundleWriter {
  private pending: Buffer[] = [];
  private bytes = 0;
  private count = 0;
  private chunked = false;
  constructor(
    private readonly js: JetStreamClient, private readonly subject: (n: number) => string, private readonly size: number, private readonly inlineUpTo: number,
  ) {}
  async write(piece: Buffer): Promise<void> {
    this.pending.push(piece);
    this.bytes += piece.length;
    if (this.bytes > this.inlineUpTo) this.chunked = true;
    while (this.chunked && this.bytes >= this.size) {
      const all = Buffer.concat(this.pending);
      await this.publish(all.subarray(0, this.size));
      this.pending = [all.subarray(this.size)];
      this.bytes = all.length - this.size;
    }
  }
  /** Publish the rest; returns how many messages were published, or the bundle when it stays inline. */
  async end(): Promise<{ chunks: number; inline?: Buffer }> {
    if (!this.chunked) return this.bytes > 0 ? { chunks: 0, inline: Buffer.concat(this.pending) } : { chunks: 0 };
    if (this.bytes > 0) await this.publish(Buffer.concat(this.pending));
    this.pending = [];
    this.bytes = 0;
    return { chunks: this.count };
  }
  private async publish(data: Buffer): Promise<void> {
    await this.js.publish(this.subject(this.count), data);
    this.count++;
  }
}
