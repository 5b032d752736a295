/**
 * Full records of a distributed task file (docs/nats.md "Records back"): when a job's command runs
 * tasker, the agent ships the files tasker wrote in the job's records directory — its log, the
 * task-file copy, the `-p` summary row and (for a job that did not succeed) the `--output-json`
 * document — through the stream TASKER_RECORDS: the files one after another as one bundle, cut
 * into messages on `tasker.records.<runId>.<seq>.<delivery>.<chunk>` (a typical job is one
 * message). The result names what was shipped (`records`); the controller fetches the chunks by
 * subject, writes the files where a local run writes them, and purges the job's subjects.
 * A small bundle (at most INLINE_RECORDS_BYTES, for a controller that says it reads them:
 * the job's `records_inline`) travels in the result itself (`records.inline`, `chunks: 0`): no
 * chunk to publish, fetch or purge.
 */
import type { JetStreamManager } from '@nats-io/jetstream';
import { ensureStream } from './streams.js';

export const RECORDS_STREAM = 'TASKER_RECORDS';
/** Per shipped file, unless the controller says otherwise (`nats.records_max_mb`). */
export const DEFAULT_RECORDS_CAP_BYTES = 16 * 1024 * 1024;
/** One message's payload: well inside nats-server's default 1 MiB `max_payload`. */
export const RECORD_CHUNK_BYTES = 128 * 1024;
/**
 * A bundle up to this size goes inline in the result (base64: 4/3 of it) instead of in chunks,
 * when the result still fits the server's max_payload with room to spare (ship-records.ts).
 */
export const INLINE_RECORDS_BYTES = 64 * 1024;
/** At most this many files are shipped per job (tasker writes 2 to 4). */
export const MAX_RECORD_FILES = 16;

export const recordSubjects = {
  all: 'tasker.records.>',
  run: (runId: string) => `tasker.records.${runId}.>`,
  job: (runId: string, seq: number) => `tasker.records.${runId}.${seq}.>`,
  chunk: (runId: string, seq: number, delivery: number, chunk: number) => `tasker.records.${runId}.${seq}.${delivery}.${chunk}`,
} as const;

/** One shipped file: its `shipped` bytes follow the previous file's in the bundle. */
export interface ShippedFile {
  /** Path inside the records directory: `logs/NAME`, `tasks/NAME` or `result.json`. */
  path: string;
  /** Its size on the agent. */
  size: number;
  /** Bytes shipped (the cap note included when capped). */
  shipped: number;
  /** Above the cap: its first and last halves were shipped with a note between them. */
  capped: boolean;
}

/** What a result says was shipped. */
export interface ShippedRecords {
  delivery: number;
  /** Messages of the bundle (numbered from 0). */
  chunks: number;
  files: ShippedFile[];
  /** Why something was not shipped (a file above the cap that cannot be cut, a failed publish). */
  note?: string;
  /** The whole bundle, base64, when it travels in the result (then `chunks` is 0). */
  inline?: string;
  /** The run used `--auto-recovery` and dropped its state (it succeeded, or nothing is left to resume): the controller drops its copy. */
  recovery_dropped?: true;
}

/** A path the controller may write under its log base: no directories of the agent's choosing. */
const SHIPPED_PATH = /^(?:logs\/[A-Za-z0-9._-]{1,200}|tasks\/[A-Za-z0-9._-]{1,200}|result\.json|recovery\.json)$/;

export function isShippedPath(path: string): boolean {
  return SHIPPED_PATH.test(path) && !path.includes('..');
}

/** `records` of a result; anything malformed makes it undefined (the result itself stays valid). */
export function parseShippedRecords(v: unknown): ShippedRecords | undefined {
  if (typeof v !== 'object' || v === null || Array.isArray(v)) return undefined;
  const o = v as Record<string, unknown>;
  const whole = (n: unknown): n is number => typeof n === 'number' && Number.isSafeInteger(n) && n >= 0;
  if (!whole(o.delivery) || !whole(o.chunks) || !Array.isArray(o.files) || o.files.length > MAX_RECORD_FILES) return undefined;
  const files: ShippedFile[] = [];
  for (const f of o.files as unknown[]) {
    if (typeof f !== 'object' || f === null) return undefined;
    const e = f as Record<string, unknown>;
    if (typeof e.path !== 'string' || !isShippedPath(e.path) || !whole(e.size) || !whole(e.shipped)) return undefined;
    files.push({ path: e.path, size: e.size, shipped: e.shipped, capped: e.capped === true });
  }
  const inline = parseInline(o.inline, o.chunks, files);
  if (inline === null) return undefined;
  return {
    delivery: o.delivery, chunks: o.chunks, files,
    ...(typeof o.note === 'string' && o.note ? { note: o.note.slice(0, 2000) } : {}),
    ...(inline !== undefined ? { inline } : {}),
    ...(o.recovery_dropped === true ? { recovery_dropped: true as const } : {}),
  };
}

const BASE64 = /^[A-Za-z0-9+/]*={0,2}$/;

/** Whether `v` is base64 text (the alphabet and its padding; the length is the caller's business). */
export function isBase64(v: string): boolean {
  return BASE64.test(v);
}

/**
 * `records.inline`: absent (undefined), or base64 of exactly the files' shipped bytes with no
 * chunks besides and at most INLINE_RECORDS_BYTES; anything else is null (the records are dropped).
 */
function parseInline(v: unknown, chunks: number, files: ShippedFile[]): string | undefined | null {
  if (v === undefined) return undefined;
  if (typeof v !== 'string' || chunks !== 0 || v.length % 4 !== 0 || !isBase64(v)) return null;
  const bytes = (v.length / 4) * 3 - (v.endsWith('==') ? 2 : v.endsWith('=') ? 1 : 0);
  const total = files.reduce((n, f) => n + f.shipped, 0);
  return bytes === total && bytes <= INLINE_RECORDS_BYTES ? v : null;
}

/** The cap a job asks for (bytes); the default when absent or not a positive whole number. */
export function parseRecordsCap(v: unknown): number {
  return typeof v === 'number' && Number.isSafeInteger(v) && v >= 1024 ? v : DEFAULT_RECORDS_CAP_BYTES;
}

/** Create TASKER_RECORDS when missing, scaled like the job streams when the replica count is set (the controller does, before publishing jobs). */
export async function ensureRecordsStream(jsm: JetStreamManager, opts: { replicas?: number; maxAgeMs?: number } = {}): Promise<void> {
  const js = await import('@nats-io/jetstream');
  await ensureStream(jsm, { replicas: opts.replicas, updateReplicas: true }, {
    name: RECORDS_STREAM,
    subjects: [recordSubjects.all],
    retention: js.RetentionPolicy.Limits,
    storage: js.StorageType.File,
    // A backstop only: the controller purges a job's records once written, and a run's at its end.
    max_age: (opts.maxAgeMs ?? 7 * 24 * 3600 * 1000) * 1_000_000,
    num_replicas: opts.replicas ?? 1,
  });
}
