/** @entry-point: loaded on demand through run-executors.ts (gRPC / ssh2), so not in this folder's index. */
import { tmpdir } from 'node:os';
import { PassThrough } from 'node:stream';
import { constants as osConstants } from 'node:os';
import type { ClientChannel } from 'ssh2';
import { StreamCapture, applyCaptures } from '../../shared/exec/index.js';
import type { ExecRequest, TaskExecutor } from '../../shared/exec/index.js';
import { cancelExitCode, formatSeconds } from '../../shared/exec/index.js';
import { splitArgs } from '../../shared/exec/index.js';
import type { ProcessResult } from '../../shared/exec/index.js';
import { describeTarget } from '../../shared/ssh/index.js';
import { killGroupCommand, killGroupNowCommand, PGID_MARKER, wrapRemoteCommand } from '../ssh/index.js';
import { SshPool } from '../ssh/index.js';
import { sshTargetFor, type SshExecutorOptions } from '../ssh/index.js';

export type { SshExecutorOptions };
import { TaskExit, signalExitCode } from '../../shared/exit-codes.js';
import { whenAborted } from '../../shared/when-aborted.js';
import { duringKillGrace } from '../../shared/kill-grace.js';

/** Exit code when the SSH connection cannot be made or is lost (as OpenSSH's `ssh` does). */
export const SSH_FAILURE_EXIT_CODE = TaskExit.UNREACHABLE;
/** After the SIGKILL of a second Ctrl-C, how long the command's channel may take to close before it is closed here. */
const HURRIED_CLOSE_MS = 1000;

/** Agentless execution over ssh2: `command arguments` on `hostname`, one pooled connection per host. */
export function createSshExecutor(opts: SshExecutorOptions = {}): TaskExecutor {
  const pool = new SshPool(opts.env);
  return {
    name: 'ssh',
    execute: (req) => executeOverSsh(pool, opts, req),
    close: () => pool.close(),
  };
}

async function executeOverSsh(pool: SshPool, opts: SshExecutorOptions, req: ExecRequest): Promise<ProcessResult> {
  const started = performance.now();
  const resolved = sshTargetFor(req.hostname, opts);
  const target = resolved.target ?? { host: req.hostname.trim() };
  const where = describeTarget(target);
  const cmd = splitArgs(req.command);
  const args = splitArgs(req.arguments);
  const argv = [...cmd.args, ...args.args];
  const base = (): ProcessResult => ({
    argv: [`ssh:${where}`, ...argv], exitCode: TaskExit.SUCCESS, signal: null, stdout: '', stderr: '', stdoutBytes: 0, stderrBytes: 0,
    timedOut: false, canceled: false, durationMs: 0, truncated: false,
  });
  const failed = (text: string): ProcessResult => ({
    ...base(), exitCode: SSH_FAILURE_EXIT_CODE, stderr: text, spawnError: text, durationMs: performance.now() - started,
  });
  if (!req.hostname.trim()) return failed('tasker: exec=ssh needs a hostname');
  if (resolved.error) return failed(`tasker: exec=ssh: ${resolved.error}`);
  if (cmd.error || args.error) return failed(`tasker: ${cmd.error ? `command: ${cmd.error}` : `arguments: ${args.error}`}`);
  if (argv.length === 0 || argv[0] === '') return failed('tasker: exec=ssh: no command given');
  if (req.signal?.aborted) return { ...base(), canceled: true, exitCode: cancelExitCode(req.signal.reason) };

  let lease;
  try {
    lease = await pool.acquire(target);
  } catch (err) {
    return { ...failed(`tasker: ssh ${where}: ${(err as Error).message}`), unreachable: true };
  }
  const { client, release } = lease;
  let channel: ClientChannel;
  try {
    channel = await new Promise<ClientChannel>((resolve, reject) =>
      client.exec(wrapRemoteCommand(argv), (err, ch) => (err ? reject(err) : resolve(ch))),
    );
  } catch (err) {
    release();
    return failed(`tasker: ssh ${where}: cannot start the command: ${(err as Error).message}`);
  }

  const captureLimit = req.captureLimit ?? 1024 * 1024;
  const spillDir = opts.spillDir ?? tmpdir();
  const outSrc = new PassThrough();
  const errSrc = new PassThrough();
  const common = { captureLimit, previewLimit: Math.min(100 * 1024, captureLimit), spillDir, pid: process.pid };
  const out = new StreamCapture(outSrc, { ...common, kind: 'stdout', onChunk: req.onStdout });
  const err = new StreamCapture(errSrc, { ...common, kind: 'stderr', onChunk: req.onStderr });
  const graceMs = opts.killGraceMs ?? 2000;

  return new Promise<ProcessResult>((resolve) => {
    let pgid: number | undefined;
    let header: Buffer | undefined = Buffer.alloc(0); // stderr until the PGID line is seen
    let killReason: 'timeout' | 'cancel' | undefined;
    let cancelReason: unknown;
    let exitCode: number | undefined;
    let exitSignal: string | undefined;
    let settled = false;
    const timers: NodeJS.Timeout[] = [];

    let forgetGrace = () => {};
    const execRemote = (command: string) =>
      client.exec(command, (e, ch) => {
        if (!e) ch.resume().stderr.resume();
      });
    const killRemote = () => {
      if (pgid === undefined) return; // done once the PGID line arrives
      const group = pgid;
      execRemote(killGroupCommand(group, graceMs));
      // Whatever happens remotely, stop waiting a little after the SIGKILL.
      timers.push(setTimeout(() => channel.close(), graceMs + 3000));
      // A second Ctrl-C ends the grace (shared/kill-grace.ts): SIGKILL the group now.
      forgetGrace = duringKillGrace(() => {
        execRemote(killGroupNowCommand(group));
        timers.push(setTimeout(() => channel.close(), HURRIED_CLOSE_MS));
      });
    };
    const startKill = (reason: 'timeout' | 'cancel') => {
      if (killReason || settled) return;
      killReason = reason;
      killRemote();
    };
    if (req.timeoutMs > 0) timers.push(setTimeout(() => startKill('timeout'), req.timeoutMs));
    const onAbort = () => {
      cancelReason = req.signal!.reason;
      startKill('cancel');
    };
    // Also a cancel that came while connecting or starting the command: killed once its PGID is known.
    const unlisten = whenAborted(req.signal, onAbort);

    channel.on('data', (chunk: Buffer) => outSrc.write(chunk));
    channel.stderr.on('data', (chunk: Buffer) => {
      if (header === undefined) return void errSrc.write(chunk);
      header = Buffer.concat([header, chunk]);
      const nl = header.indexOf(10);
      if (nl < 0 && header.length < 64) return;
      const line = header.subarray(0, nl < 0 ? header.length : nl).toString();
      const rest = header.subarray(nl < 0 ? header.length : nl + 1);
      if (line.startsWith(PGID_MARKER)) {
        pgid = Number(line.slice(PGID_MARKER.length));
        if (killReason) killRemote();
      } else errSrc.write(header.subarray(0, nl + 1)); // wrapper did not run as expected
      header = undefined;
      if (rest.length) errSrc.write(rest);
    });
    // ssh2 keeps the exit status on the channel and repeats it on 'close' (code, or null + 'SIGxxx').
    const noteExit = (code?: number | null, signal?: string) => {
      if (typeof code === 'number') exitCode = code;
      else if (signal) exitSignal = signal.startsWith('SIG') ? signal : `SIG${signal}`;
    };
    channel.on('exit', noteExit);
    channel.once('close', async (code?: number | null, signal?: string) => {
      noteExit(code, signal);
      if (settled) return;
      settled = true;
      for (const t of timers) clearTimeout(t);
      forgetGrace();
      unlisten();
      release();
      const r = base();
      if (pgid !== undefined) r.pid = pgid;
      if (exitCode !== undefined) r.exitCode = exitCode;
      else if (exitSignal) {
        const name = exitSignal as NodeJS.Signals;
        r.signal = name;
        r.exitCode = signalExitCode(osConstants.signals[name] ?? 0);
      }
      if (killReason === 'timeout') {
        r.timedOut = true;
        r.exitCode = TaskExit.TIMED_OUT;
        err.append(Buffer.from(`\nProcess killed after timeout of ${formatSeconds(req.timeoutMs)} seconds`));
      } else if (killReason === 'cancel') {
        r.canceled = true;
        r.exitCode = cancelExitCode(cancelReason);
      } else if (exitCode === undefined && !exitSignal) {
        r.exitCode = SSH_FAILURE_EXIT_CODE;
        const why = `tasker: ssh connection to ${where} lost during the command`;
        err.append(Buffer.from(`\n${why}`));
        r.spawnError = why;
      }
      outSrc.end();
      errSrc.end();
      await Promise.all([out.done, err.done]);
      const [o, e] = await Promise.all([out.result(), err.result()]);
      applyCaptures(r, o, e);
      r.durationMs = performance.now() - started;
      resolve(r);
    });
  });
}
