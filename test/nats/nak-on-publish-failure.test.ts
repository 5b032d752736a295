/**
 * When NATS cannot store anything, nothing runs twice: a job whose attempt cannot be stored is
 * `nak(delay)`ed without running; a job that ran keeps its result and retries storing it (holding
 * the job with working()) until the results stream takes writes again. Real nats-server; the
 * results stream is deleted to make storing fail.
 */
import test from 'ava';
import { existsSync, mkdtempSync, readFileSync, rmSync } from 'node:fs';
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

function shellJob(runId: string, seq: number, body: string): JobMessage {
  return {
    v: JOB_VERSION, run_id: runId, seq, task_file: `job${seq}.sh`, file_name: `job${seq}.sh`,
    content: Buffer.from(body).toString('base64'), command: '/bin/sh @TASK@', timeout_sec: 30, output_tail: 1000,
  };
}

/** A worker on a fresh server, with a NATS connection of the test's own. */
async function setUp(pool: string) {
  const server = await startNatsServer();
  const dir = mkdtempSync(join(tmpdir(), 'tasker-nats-nak-'));
  const log = recordingLogger();
  // ack_wait far beyond the test's timeout: a second delivery can only come from a nak.
  const worker = await startNatsWorker({ servers: server.url, pool, max: 1, name: 'nak-agent', ackWaitMs: 600_000, logger: log, workdir: join(dir, 'work') });
  const nc = await connectNats({ servers: server.url });
  const jsm = await jetStreamManagerOf(nc, server.url);
  const { jetstream } = await import('@nats-io/jetstream');
  const js = jetstream(nc);
  const tearDown = async () => {
    await worker.stop();
    await nc.close();
    await server.dispose();
    rmSync(dir, { recursive: true, force: true });
  };
  return { server, dir, log, worker, nc, jsm, js, tearDown };
}

// Changed by issue 13 item 10: a job whose attempt cannot be stored is not run at all (before, it
// ran, its result could not be stored, and it ran again after the nak).
test('nothing can be stored: the job is nak()ed with a delay without running, then runs once when the results stream is back', async (t) => {
  t.timeout(120_000);
  const pool = 'naktest';
  const runId = 'nakrun1';
  const { dir, log, jsm, js, tearDown } = await setUp(pool);
  try {
    await jsm.streams.delete(RESULTS_STREAM); // storing an attempt or a result now finds no stream
    const runs = join(dir, 'runs.txt');
    await js.publish(subjects.job(pool, runId, 1), encodeMessage(shellJob(runId, 1, `echo ran >> '${runs}'\necho hello\n`)));

    await waitFor(() => log.lines.some((l) => l.message === 'cannot claim job; handed back without running'));
    const warn = log.lines.find((l) => l.message === 'cannot claim job; handed back without running')!;
    t.is(warn.level, 'warn');
    t.like(warn.meta, { agent: 'nak-agent', runId, seq: 1 });
    t.regex(String(warn.meta['error']), /^cannot store the attempt: .+/);
    t.false(existsSync(runs), 'the job did not run');
    // Not acknowledged: the job is still in the work-queue stream.
    t.is((await jsm.streams.info(JOBS_STREAM)).state.messages, 1);

    await ensureStreams(jsm, { pool, ackWaitMs: 600_000 });
    await until(async () => (await jsm.streams.info(JOBS_STREAM)).state.messages === 0);
    const msg = await jsm.streams.getMessage(RESULTS_STREAM, { last_by_subj: subjects.jobResult(runId, 1) });
    const result = parseResult(msg!.data);
    t.true(result.ok);
    if (result.ok) {
      t.like(result.value, { run_id: runId, seq: 1, status: 'SUCCESS', exit_code: 0, agent: 'nak-agent' });
      t.is(result.value.stdout_tail, 'hello\n');
      t.is(result.value.earlier_runs, undefined);
    }
    t.is(readFileSync(runs, 'utf8'), 'ran\n', 'the job ran once');
    t.is((await jsm.consumers.info(JOBS_STREAM, poolConsumer(pool))).num_ack_pending, 0);
  } finally {
    await tearDown();
  }
});

test('a result that cannot be stored after the job ran is retried until it is stored; the job runs once', async (t) => {
  t.timeout(120_000);
  const pool = 'retrytest';
  const runId = 'retryrun1';
  const { dir, log, jsm, js, tearDown } = await setUp(pool);
  try {
    const runs = join(dir, 'runs.txt');
    const done = join(dir, 'done.txt');
    await js.publish(subjects.job(pool, runId, 1), encodeMessage(shellJob(runId, 1, `echo ran >> '${runs}'\nsleep 1\necho hello\ntouch '${done}'\n`)));
    await waitFor(() => existsSync(runs));
    await jsm.streams.delete(RESULTS_STREAM); // the result will find no stream
    await waitFor(() => existsSync(done) && log.lines.some((l) => l.message === 'job finished'));
    await new Promise((r) => setTimeout(r, 1500)); // a few failed tries
    t.is((await jsm.streams.info(JOBS_STREAM)).state.messages, 1, 'not acknowledged while the result is not stored');
    t.false(log.lines.some((l) => l.message === 'cannot publish result; job handed back'));

    await ensureStreams(jsm, { pool, ackWaitMs: 600_000 });
    await until(async () => (await jsm.streams.info(JOBS_STREAM)).state.messages === 0);
    const msg = await jsm.streams.getMessage(RESULTS_STREAM, { last_by_subj: subjects.jobResult(runId, 1) });
    const result = parseResult(msg!.data);
    t.true(result.ok && result.value.status === 'SUCCESS' && result.value.stdout_tail === 'hello\n');
    t.is(readFileSync(runs, 'utf8'), 'ran\n', 'the job ran once');
    t.is(log.lines.filter((l) => l.message === 'job finished').length, 1);
  } finally {
    await tearDown();
  }
});
