/**
 * runJob in a slot's reusable workspace (agent/nats/workspaces.ts): the task file is written only
 * when the command names it and removed after the job; a workspace a job left files in is given
 * up (removed in the background) and the next job starts in an empty one; job processes start
 * through the launcher (tasker-launch, built by `npm run build`). Real child processes.
 */
import test from 'ava';
import { existsSync, mkdtempSync, readdirSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { runJob } from '../../../agent/nats/run-job.js';
import { SlotWorkspace } from '../../../agent/nats/workspaces.js';
import { launcherBinary } from '../../../shared/exec/launcher.js';
import { JOB_VERSION, type JobMessage } from '../../../shared/nats/schema.js';

const workdir = mkdtempSync(join(tmpdir(), 'run-job-'));
test.after.always(() => rmSync(workdir, { recursive: true, force: true }));

let seq = 0;
function job(command: string, content = 'echo shipped\n', fileName = 'deploy.sh'): JobMessage {
  return {
    v: JOB_VERSION, run_id: 'r1', seq: ++seq, task_file: `tasks/${fileName}`, file_name: fileName,
    content: Buffer.from(content).toString('base64'), command, timeout_sec: 60, output_tail: 1000,
  };
}

/** A slot runs one job at a time: each test has its own. */
function slot(n: number) {
  const workspace = new SlotWorkspace(workdir, n);
  return { workspace, ctx: { workspace, agent: 'a1', worker: n, delivery: 1 } };
}

async function until(cond: () => boolean): Promise<void> {
  while (!cond()) await new Promise((r) => setTimeout(r, 20));
}

test('the task file is shipped when the command names @TASK@, removed after the job, and the workspace is reused', async (t) => {
  const { workspace, ctx } = slot(1);
  const first = await runJob(job('/bin/sh @TASK@'), ctx);
  t.is(first.status, 'SUCCESS');
  t.is(first.stdout_tail, 'shipped\n');
  const dir = workspace.path();
  t.deepEqual(readdirSync(dir), [], 'the task file is removed after the job');
  const second = await runJob(job('/bin/sh -c "pwd; cat @TASK@"', 'payload'), ctx);
  t.is(second.stdout_tail, `${dir}\npayload`, 'the next job runs in the same directory and sees its own file');
  t.deepEqual(readdirSync(dir), []);
});

test('a command naming the file by its name (not @TASK@) finds it in its working directory', async (t) => {
  const { ctx } = slot(2);
  const r = await runJob(job('/bin/cat deploy.sh', 'by name'), ctx);
  t.is(r.status, 'SUCCESS');
  t.is(r.stdout_tail, 'by name');
});

test('a command that names neither @TASK@ nor the file gets no file written', async (t) => {
  const { ctx } = slot(3);
  const r = await runJob(job('/bin/ls -A'), ctx);
  t.is(r.status, 'SUCCESS');
  t.is(r.stdout_tail, '', 'the workspace is empty: nothing was written');
});

test('a job that leaves files behind: the next job starts in a fresh empty workspace, the old one is removed', async (t) => {
  const { workspace, ctx } = slot(4);
  const r = await runJob(job('/bin/sh -c "pwd; echo left > leftover.txt"'), ctx);
  t.is(r.status, 'SUCCESS');
  const old = r.stdout_tail.trim();
  const next = await runJob(job('/bin/sh -c "pwd; ls -A"'), ctx);
  t.is(next.stdout_tail, `${workspace.path()}\n`, 'the next job sees none of the files the previous one left');
  t.not(workspace.path(), old);
  await until(() => !existsSync(old));
  t.false(existsSync(old));
});

test('a job process is started by the launcher (tasker-launch), not by a fork of the agent', async (t) => {
  t.truthy(launcherBinary(), 'tasker-launch is built (npm run build)');
  const { ctx } = slot(5);
  const r = await runJob(job('/bin/sh -c "cat /proc/$PPID/comm"'), ctx);
  t.is(r.status, 'SUCCESS');
  t.is(r.stdout_tail, 'tasker-launch\n');
});
