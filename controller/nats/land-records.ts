/**
 * Writes a distributed task file's shipped records (shared/nats/records.ts) where a local parallelr
 * run of the same command writes them: the tasker log in BASE/logs, the task-file copy in
 * BASE/tasks, the `-p` summary row (its log column pointing at the log written here) in
 * BASE/logs/project_NAME_summary.log; the `--output-json` document is read for the record (log
 * path, failing task and its own exit code), and written where the template's own `--output-json`
 * says if it names one (local-paths.ts); the `--auto-recovery` state is kept or dropped where a
 * local run keeps it (recovery-kept.ts). The bundle comes inline in the result
 * or in chunks; a chunked one's subjects are purged once landed.
 */
import { join } from 'node:path';
import type { JetStreamManager } from '@nats-io/jetstream';
import { RECORDS_STREAM, recordSubjects, type ResultMessage } from '../../shared/nats/index.js';
import { makePrivateDir, writePrivateFile } from '../../shared/private-files.js';
import { appendSummary, writeExclusive, type SummaryRow } from '../../core/engine/records.js';
import { readTaskerOutcome, type TaskerOutcome } from '../parallelr/index.js';
import { dropRecovery, keepRecovery } from './recovery-kept.js';
import { writeOwnJson, type LocalPaths } from './local-paths.js';

/** What landing gave the record. */
export interface Landed extends TaskerOutcome {
  /** What was capped or could not be shipped or written. */
  note?: string;
}

const SUMMARY_FILE = /^logs\/project_(.+)_summary\.log$/;

/** Fetch (or take from the result), write and purge the records `r` names; never throws (problems go to `note`). */
export async function landRecords(jsm: JetStreamManager, r: ResultMessage, paths: LocalPaths, taskPath: string): Promise<Landed> {
  const { base } = paths;
  const shipped = r.records;
  if (!shipped) return {};
  const notes: string[] = shipped.note ? [shipped.note] : [];
  const landed: Landed = {};
  const summaries: { project: string; text: string }[] = [];
  let jsonText: string | undefined;
  const bundle: BundleReader = shipped.inline !== undefined
    ? new InlineReader(Buffer.from(shipped.inline, 'base64'))
    : new ChunkReader(jsm, (n) => recordSubjects.chunk(r.run_id, r.seq, shipped.delivery, n), shipped.chunks);
  for (const file of shipped.files) {
    let data: Buffer;
    try {
      data = await bundle.take(file.shipped);
    } catch (e) {
      notes.push(`${file.path} and what follows not fetched: ${(e as Error).message}`);
      break;
    }
    if (file.capped) notes.push(`${file.path} capped: ${file.size} bytes on the agent, its first and last halves kept (${data.length} bytes)`);
    try {
      const project = SUMMARY_FILE.exec(file.path)?.[1];
      if (project) summaries.push({ project, text: data.toString('utf8') });
      else if (file.path === 'result.json') {
        const text = data.toString('utf8');
        Object.assign(landed, readTaskerOutcome(text));
        if (paths.namesJson) jsonText = text;
      } else if (file.path === 'recovery.json') keepRecovery(paths.recoveryFile(taskPath), taskPath, data);
      else {
        const path = writeLanded(join(base, file.path.slice(0, file.path.indexOf('/'))), file.path.slice(file.path.indexOf('/') + 1), data);
        if (file.path.startsWith('logs/') && file.path.endsWith('.log')) landed.logFile = path;
      }
    } catch (e) {
      notes.push(`${file.path} not written: ${(e as Error).message}`);
    }
  }
  if (shipped.recovery_dropped) {
    try {
      dropRecovery(paths.recoveryFile(taskPath).path);
    } catch (e) {
      notes.push(`recovery state not dropped: ${(e as Error).message}`);
    }
  }
  for (const s of summaries) {
    try {
      appendRows(base, s.project, s.text, taskPath, landed.logFile);
    } catch (e) {
      notes.push(`project summary ${s.project} not written: ${(e as Error).message}`);
    }
  }
  // Last: it names the log, summary and state landed above.
  if (jsonText !== undefined) {
    try {
      writeOwnJson(jsonText, paths, taskPath, landed.logFile);
    } catch (e) {
      notes.push(`--output-json document not written: ${(e as Error).message}`);
    }
  }
  // Nothing stored for a bundle without chunks: no purge (an API round trip) to make.
  if (shipped.chunks > 0) await jsm.streams.purge(RECORDS_STREAM, { filter: recordSubjects.job(r.run_id, r.seq) }).catch(() => undefined);
  if (notes.length) landed.note = notes.join('; ');
  return landed;
}

/** Drop every stored record chunk of a run (at its end: late duplicates, jobs never landed). */
export async function purgeRunRecords(jsm: JetStreamManager, runId: string): Promise<void> {
  await jsm.streams.purge(RECORDS_STREAM, { filter: recordSubjects.run(runId) }).catch(() => undefined);
}

/** A shipped bundle, read a file's bytes at a time. */
interface BundleReader {
  take(n: number): Promise<Buffer>;
}

/** A bundle that came in the result (`records.inline`). */
class InlineReader implements BundleReader {
  private at = 0;
  constructor(private readonly data: Buffer) {}
  take(n: number): Promise<Buffer> {
    if (this.at + n > this.data.length) return Promise.reject(new Error(`the inline bundle ends after ${this.data.length} bytes`));
    const part = this.data.subarray(this.at, this.at + n);
    this.at += n;
    return Promise.resolve(part);
  }
}

/** Reads a bundle published in numbered messages, a file's bytes at a time (one chunk in memory besides). */
class ChunkReader implements BundleReader {
  private rest = Buffer.alloc(0);
  private next = 0;
  constructor(private readonly jsm: JetStreamManager, private readonly subject: (n: number) => string, private readonly chunks: number) {}
  async take(n: number): Promise<Buffer> {
    const parts = [this.rest];
    let have = this.rest.length;
    while (have < n) {
      if (this.next >= this.chunks) throw new Error(`the bundle ends after ${this.chunks} chunks`);
      const m = await this.jsm.streams.getMessage(RECORDS_STREAM, { last_by_subj: this.subject(this.next) });
      if (!m) throw new Error(`chunk ${this.next + 1} of ${this.chunks} is gone from ${RECORDS_STREAM}`);
      this.next++;
      parts.push(Buffer.from(m.data));
      have += m.data.length;
    }
    const all = Buffer.concat(parts);
    this.rest = all.subarray(n);
    return all.subarray(0, n);
  }
}

/** DIR/NAME, or NAME with `_1`, `_2`… before its extension when taken (O_EXCL: never overwrite). */
function writeLanded(dir: string, name: string, data: Buffer): string {
  const dot = name.lastIndexOf('.');
  return dot > 0 ? writeExclusive(dir, name.slice(0, dot), name.slice(dot), data) : writeExclusive(dir, name, '', data);
}

/** The agent's summary rows, appended here naming this side's task file and the log written here. */
function appendRows(base: string, project: string, text: string, taskPath: string, logFile: string | undefined): void {
  for (const line of text.split('\n')) {
    if (!line || line.startsWith('#')) continue;
    const f = line.split('\t');
    if (f.length < 8) continue;
    const row: SummaryRow = {
      timestamp: f[0]!, taskFile: taskPath, finalTask: f[2]!, hostname: f[3]!, command: f.slice(4, f.length - 3).join(' '),
      exitCode: Number(f[f.length - 3]), status: f[f.length - 2] === 'SUCCESS' ? 'SUCCESS' : 'FAILURE', logFile: logFile ?? '-',
    };
    appendSummary(base, project, row);
  }
}
