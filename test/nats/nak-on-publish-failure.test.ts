/**
 * A result that cannot be stored is a transient failure: the worker does not ack the job but
 * `nak(delay)`s it, so the job is delivered again and its result is stored once the results stream
 * takes writes again. Real nats-server; the results stream is deleted to make publishing fail.
 */
import test from 'ava';
import { mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { startNatsServer } from '../helpers/nats-server.js';
import { startNatsWorker, type WorkerLogger } from '../../agent/nats/worker.js';
import { connectNats, jetStreamManagerOf } from '../../shared/nats/connection.js';
import { ensureStreams } from '../../shared/nats/streams.js';
import { JOB_VERSION, encodeMessage, parseResult, type JobMessage } from '../../shared/nats/schema.js';
import { JOBS_STREAM, RESULTS_STREAM, poolConsumer, subjects } from '../../shared/nats/subjects.js';
import { waitFor } from './fleet.js';

interface Logged {
  level: string;
  message: string;
  meta: Record<string, unknown>;
}

/** Poll an async condition (the test's timeout bounds the wait). */
async function until(cond: () => Promise<boolean>): Promise<void> {
  while (!(await cond())) await new Promise((r) => setTimeout(r, 50));
}

function recordingLogger(): WorkerLogger & { lines: Logged[] } {
  const lines: Logged[] = [];
  const at = (level: string) => (message: string, meta: Record<string, unknown> = {}) => lines.push({ level, message, meta });
  return { lines, info: at('info'), warn: at('warn'), error: at('error') };
}

test('a result that cannot be published: the job is nak()ed with a delay, runs again, and its result is stored once', async (t) => {
  // ack_wait far beyond the test's timeout: a second delivery can only come from the nak.
  t.timeout(120_000);
  const server = await startNatsServer();
  const pool = 'naktest';
  const runId = 'nakrun1';
  const dir = mkdtempSync(join(tmpdir(), 'tasker-nats-nak-'));
  const log = recordingLogger();
  const worker = await startNatsWorker({ servers: server.url, pool, max: 1, name: 'nak-agent', ackWaitMs: 600_000, logger: log, workdir: join(dir, 'work') });
  const nc = await connectNats({ servers: server.url });
  try {
    const jsm = await jetStreamManagerOf(nc, server.url);
    const { jetstream } = await import('@nats-io/jetstream');
    const js = jetstream(nc);
    await jsm.streams.delete(RESULTS_STREAM); // publishing a result now finds no stream

    const runs = join(dir, 'runs.txt');
    const job: JobMessage = {
      v: JOB_VERSION, run_id: runId, seq: 1, task_file: 'job1.sh', file_name: 'job1.sh',
      content: Buffer.from(`echo ran >> '${runs}'\necho hello\n`).toString('base64'),
      command: '/bin/sh @TASK@', timeout_sec: 30, output_tail: 1000,
    };
    await js.publish(subjects.job(pool, runId, 1), encodeMessage(job));

    await waitFor(() => log.lines.some((l) => l.message === 'cannot publish result; job handed back'));
    const warn = log.lines.find((l) => l.message === 'cannot publish result; job handed back')!;
    t.is(warn.level, 'warn');
    t.like(warn.meta, { agent: 'nak-agent', runId, seq: 1 });
    t.regex(String(warn.meta['error']), /.+/);
    // Not acknowledged: the job is still in the work-queue stream and pending on the consumer.
    t.is((await jsm.streams.info(JOBS_STREAM)).state.messages, 1);
    t.is((await jsm.consumers.info(JOBS_STREAM, poolConsumer(pool))).num_ack_pending, 1);

    // The results stream comes back; the redelivered job's result is stored.
    await ensureStreams(jsm, { pool, ackWaitMs: 600_000 });
    await until(async () => (await jsm.streams.info(RESULTS_STREAM)).state.messages > 0);
    // Acked only after the result was stored: the work queue empties.
    await until(async () => (await jsm.streams.info(JOBS_STREAM)).state.messages === 0);
    t.is((await jsm.streams.info(RESULTS_STREAM)).state.messages, 1, 'one result, not one per delivery');
    const msg = await jsm.streams.getMessage(RESULTS_STREAM, { last_by_subj: subjects.results(runId) });
    const result = parseResult(msg!.data);
    t.true(result.ok);
    if (result.ok) {
      t.like(result.value, { run_id: runId, seq: 1, status: 'SUCCESS', exit_code: 0, agent: 'nak-agent' });
      t.is(result.value.stdout_tail, 'hello\n');
    }
    t.is(readFileSync(runs, 'utf8'), 'ran\nran\n', 'the job ran on the first delivery and again after the nak');
    // (The delivery count the server reports for the second run is usually 2, but not always:
    // the test does not depend on it.)
    t.is(log.lines.filter((l) => l.message === 'job finished').length, 2);
    t.is((await jsm.consumers.info(JOBS_STREAM, poolConsumer(pool))).num_ack_pending, 0);
  } finally {
    await worker.stop();
    await nc.close();
    await server.dispose();
    rmSync(dir, { recursive: true, force: true });
  }
});
