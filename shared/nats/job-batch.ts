/**
 * Batches: several task files of a run in one job message, so a run of many quick files pays the
 * queue's per-message cost (store, deliver, acknowledge) once per batch instead of once per file
 * (docs/nats.md, "Batches"). Each file in a batch is still claimed, run and reported on its own,
 * exactly as a job of one file: a batch only changes how files travel to an agent.
 *
 * A batch is published on `tasker.jobs.<pool>.<runId>.<first>-<last>` (subjects.ts) as
 * `{"type":"batch","v":1,"run_id":…,"claims":"batch","jobs":[<job>,…]}`, each job the JobMessage it would be alone.
 * The controller sends batches only to a pool whose agents all said they read them
 * (`tasker.fleet.<pool>`), and sizes them from the files and the pool's slots (`batchSize`).
 */
import { JOB_VERSION, decodeJson, parseJobValue, type JobMessage, type Parsed } from './schema.js';
import { MAX_BATCH, isSubjectToken } from './subjects.js';

/** What an agent answers on `tasker.fleet.<pool>`. */
export interface FleetReply {
  agent: string;
  instance: string;
  /** Job slots. */
  max: number;
  /** It reads batches (agents older than batches do not answer at all). */
  batches: boolean;
}

/** Most files in an automatic batch. */
export const AUTO_BATCH_MAX = 16;
/** An automatic batch leaves every slot at least this many batches of the run. */
const BATCHES_PER_SLOT = 8;

/**
 * Files per batch for `files` task files on a pool with `slots` slots in all: 1 (no batches) for
 * small runs, else as many as leaves each slot `BATCHES_PER_SLOT` batches, at most `AUTO_BATCH_MAX`.
 * So a batch is at most an eighth of a slot's share of the run: the last batches finish close together.
 */
export function batchSize(files: number, slots: number): number {
  if (slots < 1) return 1;
  return Math.max(1, Math.min(AUTO_BATCH_MAX, Math.floor(files / (slots * BATCHES_PER_SLOT))));
}

const encoder = new TextEncoder();

/**
 * One message of `jobs` (consecutive seqs of one run), built from each job's own JSON text so the
 * size of each part is known before it is added (publisher.ts keeps a batch within max_payload).
 * `"claims":"batch"` says this controller reads batch claims (attempt.ts): an agent may claim the
 * whole batch at once. Agents older than batch claims ignore it and claim each file.
 */
export function encodeBatch(runId: string, jobTexts: readonly string[]): Uint8Array {
  return encoder.encode(`{"type":"batch","v":${JOB_VERSION},"run_id":${JSON.stringify(runId)},"claims":"batch","jobs":[${jobTexts.join(',')}]}`);
}

/** Bytes a batch adds around its jobs' texts (see encodeBatch). */
export function batchOverhead(runId: string): number {
  return encodeBatch(runId, []).length;
}

/**
 * The jobs of a job message: one for a job alone, every job of a batch. A batch is refused whole
 * when any of its jobs is invalid, belongs to another run, or repeats a seq; the error names the job.
 */
export function parseJobs(data: Uint8Array): Parsed<JobMessage[]> & { batchClaim?: boolean } {
  const j = decodeJson(data);
  if (!j.ok) return { ok: false, error: j.error };
  const o = j.value as Record<string, unknown> | null;
  if (typeof o !== 'object' || o === null || o.type !== 'batch') {
    const one = parseJobValue(j.value);
    return one.ok ? { ok: true, value: [one.value] } : one;
  }
  if (o.v !== JOB_VERSION) return { ok: false, error: `unsupported batch version \`${String(o.v)}\` (expected ${JOB_VERSION})` };
  if (!Array.isArray(o.jobs) || o.jobs.length < 1 || o.jobs.length > MAX_BATCH) {
    return { ok: false, error: `\`jobs\` of a batch must be a list of 1 to ${MAX_BATCH} jobs` };
  }
  const jobs: JobMessage[] = [];
  const seqs = new Set<number>();
  // A refusal names the batch's run only: not one job's run, seq or file, which are not every file's.
  const refuse = (error: string): Parsed<JobMessage[]> =>
    typeof o.run_id === 'string' && isSubjectToken(o.run_id) ? { ok: false, error, runId: o.run_id } : { ok: false, error };
  for (const [i, value] of o.jobs.entries()) {
    const one = parseJobValue(value);
    if (!one.ok) return refuse(`job ${i + 1} of the batch: ${one.error}`);
    if (one.value.run_id !== o.run_id) return refuse(`job ${i + 1} of the batch belongs to run \`${one.value.run_id}\`, not the batch's \`${String(o.run_id)}\``);
    if (seqs.has(one.value.seq)) return refuse(`job ${i + 1} of the batch repeats seq ${one.value.seq}`);
    seqs.add(one.value.seq);
    jobs.push(one.value);
  }
  return o.claims === 'batch' ? { ok: true, value: jobs, batchClaim: true } : { ok: true, value: jobs };
}

/** An agent's answer on the fleet subject, or undefined for anything else. */
export function parseFleetReply(data: Uint8Array): FleetReply | undefined {
  const j = decodeJson(data);
  if (!j.ok || typeof j.value !== 'object' || j.value === null) return undefined;
  const o = j.value as Record<string, unknown>;
  if (typeof o.instance !== 'string' || typeof o.max !== 'number' || !Number.isInteger(o.max) || o.max < 1) return undefined;
  return { agent: String(o.agent ?? ''), instance: o.instance, max: o.max, batches: o.batches === true };
}

/**
 * An agent hands files of a batch back to the run's controller (`tasker.handoff.<runId>`), which
 * publishes them as jobs of their own: agents never publish jobs (docs/nats.md, "Permissions").
 * `stream_seq` and `delivery` name the batch delivery, so a repeated hand-off is stored once.
 */
export interface HandOffRequest {
  seqs: number[];
  stream_seq: number;
  delivery: number;
}

/** The controller's answer: `ok`, or why the files could not be published. */
export interface HandOffReply {
  ok: boolean;
  error?: string;
}

/** A hand-off request naming files 1..`files` of the run, or undefined. */
export function parseHandOff(data: Uint8Array, files: number): HandOffRequest | undefined {
  const j = decodeJson(data);
  if (!j.ok || typeof j.value !== 'object' || j.value === null) return undefined;
  const o = j.value as Record<string, unknown>;
  const whole = (v: unknown, min: number, max = Number.MAX_SAFE_INTEGER): v is number => typeof v === 'number' && Number.isInteger(v) && v >= min && v <= max;
  if (!Array.isArray(o.seqs) || o.seqs.length < 1 || o.seqs.length > MAX_BATCH || !o.seqs.every((s) => whole(s, 1, files))) return undefined;
  if (!whole(o.stream_seq, 0) || !whole(o.delivery, 1)) return undefined;
  return { seqs: [...new Set(o.seqs as number[])].sort((a, b) => a - b), stream_seq: o.stream_seq, delivery: o.delivery };
}
