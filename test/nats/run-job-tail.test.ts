/**
 * A NATS job's result carries the real end of its output: a stream past the 1 MiB kept in memory
 * spilled to the job's workspace, and its tail is read from there (it used to be the tail of the
 * first 100 KiB). runJob is the agent's job runner; it runs a real child process here.
 */
import test from 'ava';
import { mkdtempSync, readdirSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { runJob } from '../../agent/nats/run-job.js';
import { SlotWorkspace } from '../../agent/nats/workspaces.js';
import { JOB_VERSION, type JobMessage } from '../../shared/nats/schema.js';
import { EMIT_OUTPUT } from '../helpers/whole-output.js';

const workdir = mkdtempSync(join(tmpdir(), 'run-job-tail-'));
test.after.always(() => rmSync(workdir, { recursive: true, force: true }));

function job(script: string, outputTail: number, seq: number): JobMessage {
  return {
    v: JOB_VERSION, run_id: 'r1', seq, task_file: 'job.sh', file_name: 'job.sh',
    content: Buffer.from(script).toString('base64'), command: 'sh @TASK@', timeout_sec: 60, output_tail: outputTail,
  };
}

/** A slot runs one job at a time: each test has its own. */
const ctx = (slot: number) => ({ workspace: new SlotWorkspace(workdir, slot), agent: 'a1', worker: slot, delivery: 1 });

/** The background removal of a workspace a job left files in ends (the test's timeout bounds it). */
async function gone(prefix: string): Promise<string[]> {
  for (;;) {
    const left = readdirSync(workdir).filter((d) => d.startsWith(prefix));
    if (!left.length) return left;
    await new Promise((r) => setTimeout(r, 20));
  }
}

test('the tails of outputs past 1 MiB are their last characters, on both streams', async (t) => {
  const r = await runJob(job(`exec ${EMIT_OUTPUT} fill:1300000 text:THE-END-ééé err: fill:1300000 text:ERR-END`, 12, 1), ctx(1));
  t.is(r.status, 'SUCCESS');
  t.is(r.stdout_tail, 'xTHE-END-ééé');
  t.is(r.stderr_tail, 'xxxxxERR-END');
  t.deepEqual(await gone('job-slot1-'), [], 'the workspace (and the spill files in it) is removed');
});

test('a small output keeps its tail as before', async (t) => {
  const r = await runJob(job(`exec ${EMIT_OUTPUT} text:hello-world`, 5, 2), ctx(2));
  t.is(r.stdout_tail, 'world');
  t.is(r.stderr_tail, '');
});
