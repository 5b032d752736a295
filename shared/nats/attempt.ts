/**
 * Attempts: before an agent runs a job it stores an `attempt` on the job's results subject
 * (`tasker.results.<run>.<seq>`), published only if the subject is as it last saw it. The last
 * message there then tells every agent whether the job is done (a result), claimed (an attempt:
 * ask its agent whether it still holds the job), or new (nothing). A job that an agent claimed
 * and lost without storing a result runs again; the new attempt and the result carry the lost
 * ones as `earlier_runs`, so the operator is told the job ran more than once, and why.
 */
import { parseEarlierRuns, parseResult, parseStartMarks, JOB_VERSION, type AttemptMessage, type BatchAttemptMessage, type ResultMessage } from './schema.js';
import { MAX_BATCH, isSubjectToken } from './subjects.js';

export type { AttemptMessage, BatchAttemptMessage } from './schema.js';

export type StoredMessage =
  | { kind: 'attempt'; value: AttemptMessage }
  | { kind: 'batch-attempt'; value: BatchAttemptMessage }
  | { kind: 'result'; value: ResultMessage }
  | { kind: 'bad'; error: string };

const decoder = new TextDecoder();

/** Read a message of a results subject: an attempt or a result (never throws). */
export function parseStoredMessage(data: Uint8Array): StoredMessage {
  let o: Record<string, unknown> | undefined;
  try {
    const v = JSON.parse(decoder.decode(data)) as unknown;
    if (typeof v === 'object' && v !== null && !Array.isArray(v)) o = v as Record<string, unknown>;
  } catch {
    // not JSON: parseResult names the problem
  }
  if (o?.type !== 'attempt' && o?.type !== 'batch-attempt') {
    const r = parseResult(data);
    return r.ok ? { kind: 'result', value: r.value } : { kind: 'bad', error: r.error };
  }
  const str = (k: string): string | undefined => (typeof o![k] === 'string' ? (o![k] as string) : undefined);
  const int = (k: string): number | undefined => (Number.isSafeInteger(o![k]) && (o![k] as number) >= 0 ? (o![k] as number) : undefined);
  if (o.type === 'batch-attempt') return parseBatchAttempt(o, str, int);
  const runId = str('run_id');
  const seq = int('seq');
  const instance = str('instance');
  if (!runId || !isSubjectToken(runId) || !seq || !instance || !isSubjectToken(instance)) {
    return { kind: 'bad', error: 'invalid attempt: `run_id`, `seq` and `instance` are required' };
  }
  return {
    kind: 'attempt',
    value: {
      type: 'attempt', v: JOB_VERSION, run_id: runId, seq, agent: str('agent') ?? '', instance,
      delivery: int('delivery') ?? 0, ...claimOf(int), start_time: str('start_time') ?? '', earlier_runs: parseEarlierRuns(o.earlier_runs),
      ...(int('worker') !== undefined ? { worker: int('worker') } : {}),
    },
  };
}

function claimOf(int: (k: string) => number | undefined): { claim?: number } {
  const claim = int('claim');
  return claim !== undefined ? { claim } : {};
}

function parseBatchAttempt(
  o: Record<string, unknown>, str: (k: string) => string | undefined, int: (k: string) => number | undefined,
): StoredMessage {
  const runId = str('run_id');
  const first = int('first');
  const last = int('last');
  const instance = str('instance');
  if (!runId || !isSubjectToken(runId) || !first || !last || last < first || last - first >= MAX_BATCH || !instance || !isSubjectToken(instance)) {
    return { kind: 'bad', error: 'invalid batch attempt: `run_id`, `first`, `last` (a range of at most 64) and `instance` are required' };
  }
  return {
    kind: 'batch-attempt',
    value: {
      type: 'batch-attempt', v: JOB_VERSION, run_id: runId, first, last, agent: str('agent') ?? '', instance,
      delivery: int('delivery') ?? 0, ...claimOf(int), start_time: str('start_time') ?? '',
      started: parseStartMarks(o.started).filter((m) => m.seq >= first && m.seq <= last),
    },
  };
}

/** A job an agent started, as a stored message tells it (the controller's and the console's live view). */
export interface StartNotice {
  run_id: string;
  seq: number;
  agent: string;
  /** Absent in attempts of agents older than issue 14's second throughput pass. */
  worker?: number;
}

/**
 * The jobs a stored message says were started: an attempt's job, the files a batch attempt starts at
 * once, and the files a result's job handed its slot to.
 */
export function startsOf(stored: StoredMessage): StartNotice[] {
  switch (stored.kind) {
    case 'attempt': {
      const a = stored.value;
      return [{ run_id: a.run_id, seq: a.seq, agent: a.agent, ...(a.worker !== undefined ? { worker: a.worker } : {}) }];
    }
    case 'batch-attempt':
    case 'result': {
      const v = stored.value;
      return (v.started ?? []).map((m) => ({ run_id: v.run_id, seq: m.seq, agent: v.agent, worker: m.worker }));
    }
    default:
      return [];
  }
}
