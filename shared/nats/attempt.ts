/**
 * Attempts: before an agent runs a job it stores an `attempt` on the job's results subject
 * (`tasker.results.<run>.<seq>`), published only if the subject is as it last saw it. The last
 * message there then tells every agent whether the job is done (a result), claimed (an attempt:
 * ask its agent whether it still holds the job), or new (nothing). A job that an agent claimed
 * and lost without storing a result runs again; the new attempt and the result carry the lost
 * ones as `earlier_runs`, so the operator is told the job ran more than once, and why.
 */
import { parseEarlierRuns, parseResult, JOB_VERSION, type AttemptMessage, type EarlierRun, type ResultMessage } from './schema.js';
import { isSubjectToken } from './subjects.js';

export type { AttemptMessage } from './schema.js';

export type StoredMessage = { kind: 'attempt'; value: AttemptMessage } | { kind: 'result'; value: ResultMessage } | { kind: 'bad'; error: string };

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
  if (o?.type !== 'attempt') {
    const r = parseResult(data);
    return r.ok ? { kind: 'result', value: r.value } : { kind: 'bad', error: r.error };
  }
  const str = (k: string): string | undefined => (typeof o![k] === 'string' ? (o![k] as string) : undefined);
  const int = (k: string): number | undefined => (Number.isSafeInteger(o![k]) && (o![k] as number) >= 0 ? (o![k] as number) : undefined);
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
      delivery: int('delivery') ?? 0, start_time: str('start_time') ?? '', earlier_runs: parseEarlierRuns(o.earlier_runs),
      ...(int('worker') !== undefined ? { worker: int('worker') } : {}),
    },
  };
}
