/**
 * SPEC §4: a task that prints 1 GB keeps agent and controller memory bounded. A slow reader holds
 * the task back (gRPC flow control → the agent stops reading the child's pipe) instead of growing
 * buffers on the agent; every byte still arrives.
 */
import test from 'ava';
import { readdirSync, readFileSync, rmSync, statSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import type { ExecuteEvent__Output } from '../../shared/proto/generated/tasker/agent/v1/ExecuteEvent.js';
import type { Finished__Output } from '../../shared/proto/generated/tasker/agent/v1/Finished.js';
import { loadProtos } from '../../shared/proto/load-proto.js';
import { ROOT, tempDir } from '../helpers/run-cli.js';
import { eventually, startAgent, type AgentProcess } from '../helpers/agent-process.js';

const GiB = 1024 * 1024 * 1024;
const MiB = 1024 * 1024;
const started: AgentProcess[] = [];

test.after.always(async () => {
  for (const a of started) await a.stop();
});

/** A /proc/PID/status field in kB (VmHWM = peak resident memory so far), or undefined once gone. */
function statusKb(pid: number, field: 'VmHWM' | 'VmRSS'): number | undefined {
  try {
    const m = new RegExp(`^${field}:\\s+(\\d+) kB`, 'm').exec(readFileSync(`/proc/${pid}/status`, 'utf8'));
    return m ? Number(m[1]) : undefined;
  } catch {
    return undefined;
  }
}

/** Bytes the process has written so far (all fds), from /proc/PID/io; undefined once it is gone. */
function bytesWritten(pid: number): number | undefined {
  try {
    return Number(/^wchar:\s+(\d+)/m.exec(readFileSync(`/proc/${pid}/io`, 'utf8'))![1]);
  } catch {
    return undefined;
  }
}

const sleep = (ms: number) => new Promise((r) => setTimeout(r, ms));

test.serial('1 GiB of stdout to a client that stops reading, then reads slowly: the task is held back, agent memory stays bounded, every byte arrives', async (t) => {
  t.timeout(280_000);
  const agent = await startAgent(['--listen', '127.0.0.1:0', '--insecure-loopback', '--log-level', 'warn']);
  started.push(agent);
  const [grpc, protos] = await Promise.all([import('@grpc/grpc-js'), loadProtos()]);
  const client = new protos.agent.tasker.agent.v1.Agent(agent.address, grpc.credentials.createInsecure());
  const call = client.Execute(
    { run_id: 'backpressure', task_id: '1', exec_type: 'local', hostname: 'localhost', command: 'head', arguments: `-c ${GiB} /dev/zero`, timeout_ms: 0, output_cap: 0 },
    { deadline: Date.now() + 270_000 },
  );
  let childPid = 0;
  let received = 0;
  let finished: Finished__Output | undefined;
  call.on('data', (ev: ExecuteEvent__Output) => {
    if (ev.event === 'started') {
      childPid = ev.started!.pid;
      call.pause(); // the controller stops reading
    } else if (ev.event === 'stdout') received += ev.stdout!.length;
    else if (ev.event === 'finished') finished = ev.finished!;
  });
  const ended = new Promise<void>((resolve, reject) => {
    call.on('end', resolve);
    call.on('error', reject);
  });
  ended.catch(() => undefined); // awaited below; an early error must not be an unhandled rejection

  // 1. Nobody reads: the child must come to a stop long before 1 GiB (pipe + gRPC windows are small).
  await eventually(() => childPid > 0);
  let last = -1;
  await eventually(async () => {
    const now = bytesWritten(childPid) ?? GiB; // gone: it wrote everything while nobody read
    const still = now === last;
    last = now;
    if (!still) await sleep(500);
    return still;
  });
  t.log(`nobody reading: the task stopped after ${(last / MiB).toFixed(1)} MiB`);
  t.true(last < 64 * MiB, `the task stopped after ${(last / MiB).toFixed(1)} MiB while nobody read`);
  t.true(received < 64 * MiB);

  // 2. A slow reader: short bursts of reading with pauses in between.
  for (let i = 0; i < 20; i++) {
    call.resume();
    await sleep(50);
    call.pause();
    await sleep(100);
  }
  t.true(received < GiB, 'still reading slowly');

  // 3. Read the rest at full speed.
  call.resume();
  await ended;
  client.close();
  const peakKb = statusKb(agent.pid, 'VmHWM')!;
  t.log(`agent peak RSS ${(peakKb / 1024).toFixed(0)} MB`);
  t.is(received, GiB, 'every byte arrived');
  t.like(finished, { exit_code: 0, stdout_bytes: GiB, timed_out: false, canceled: false });
  t.true(peakKb < 300 * 1024, `agent peak RSS ${(peakKb / 1024).toFixed(0)} MB stays under 300 MB`);
});

test.serial('tasker -r with a 1 GB task on an agent: controller and agent memory stay bounded, the run completes and the log holds the stream', async (t) => {
  t.timeout(280_000);
  const agent = await startAgent(['--listen', '127.0.0.1:0', '--insecure-loopback', '--log-level', 'warn']);
  started.push(agent);
  const dir = tempDir('tasker-agent-1gb-');
  writeFileSync(join(dir, 'f.txt'), `task=0\nhostname=localhost\nexec=local\nagent=${agent.address}\ncommand=head\narguments=-c 1000000000 /dev/zero\ntimeout=600\n`);
  const { spawn } = await import('node:child_process');
  // From source (tsx), so the test checks the code as it is, not a possibly stale build.
  const tsx = import.meta.resolve('tsx');
  const child = spawn(process.execPath, ['--import', tsx, join(ROOT, 'controller', 'cli', 'tasker.ts'), '-r', 'f.txt', '-l', join(dir, 'base'), '--output-json', 'o.json'], {
    cwd: dir,
    stdio: ['ignore', 'pipe', 'pipe'],
  });
  let out = '';
  child.stdout!.on('data', (d: Buffer) => (out += d.toString()));
  child.stderr!.on('data', (d: Buffer) => (out += d.toString()));
  let controllerKb = 0;
  const poll = setInterval(() => (controllerKb = Math.max(controllerKb, statusKb(child.pid!, 'VmHWM') ?? 0)), 50);
  const code = await new Promise<number | null>((resolve) => child.once('close', resolve));
  clearInterval(poll);
  const agentKb = statusKb(agent.pid, 'VmHWM')!;
  t.log(`peak RSS: controller ${(controllerKb / 1024).toFixed(0)} MB, agent ${(agentKb / 1024).toFixed(0)} MB`);
  t.is(code, 0, out.slice(-2000));
  t.true(controllerKb > 0, 'controller memory was sampled');
  t.true(controllerKb < 300 * 1024, `controller peak RSS ${(controllerKb / 1024).toFixed(0)} MB stays under 300 MB`);
  t.true(agentKb < 300 * 1024, `agent peak RSS ${(agentKb / 1024).toFixed(0)} MB stays under 300 MB`);
  const json = JSON.parse(readFileSync(join(dir, 'o.json'), 'utf8')) as { task_results: Record<string, { stdout: string; exit_code: number }> };
  t.is(json.task_results['0']!.exit_code, 0);
  t.is(json.task_results['0']!.stdout.length, 100 * 1024, 'the captured variable keeps the first 100 KiB');
  const log = readdirSync(join(dir, 'base', 'logs')).find((f) => f.endsWith('.log'))!;
  t.true(statSync(join(dir, 'base', 'logs', log)).size > 1_000_000_000, 'the full stream is in the log');
  rmSync(dir, { recursive: true, force: true });
});
