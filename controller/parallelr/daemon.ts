import { spawn } from 'node:child_process';
import { closeSync, readFileSync } from 'node:fs';
import { makePrivateDir, openPrivateFile } from '../../shared/private-files.js';
import { join } from 'node:path';
import { isAlive, type WorkerRegistry } from './registry.js';

/** Set in the environment of the detached child so it runs instead of detaching again. */
export const DAEMON_ENV = 'PARALLELR_DAEMON_CHILD';

export interface DaemonStart {
  pid: number;
  /** The child's stdout/stderr (normally only the banner; the run itself logs to its main log). */
  outputFile: string;
  /** Set when the child registered before the wait ended. */
  registered: boolean;
  /** Set when the child died before registering: its output. */
  failure?: string;
}

/**
 * Starts the same command line again, detached: its own session (setsid, so no controlling terminal and
 * no SIGHUP at logout), stdin from /dev/null, stdout/stderr to a file, same working directory (relative
 * paths keep working, unlike the peer's chdir to /). Waits until the child has registered its PID.
 */
export async function startDaemon(opts: {
  selfArgv: readonly string[];
  args: readonly string[];
  cwd: string;
  env: NodeJS.ProcessEnv;
  logsDir: string;
  stamp: string;
  registry: WorkerRegistry;
  waitMs?: number;
}): Promise<DaemonStart> {
  makePrivateDir(opts.logsDir, { tighten: true });
  const outputFile = join(opts.logsDir, `parallelr_daemon_${process.pid}_${opts.stamp}.out`);
  const fd = openPrivateFile(outputFile, 'a');
  const [program, ...pre] = opts.selfArgv;
  const child = spawn(program!, [...pre, ...opts.args], {
    cwd: opts.cwd,
    env: { ...opts.env, [DAEMON_ENV]: '1' },
    detached: true,
    stdio: ['ignore', fd, fd],
  });
  closeSync(fd);
  const pid = child.pid;
  child.unref();
  if (pid === undefined) return { pid: -1, outputFile, registered: false, failure: `could not start ${program}` };
  const deadline = Date.now() + (opts.waitMs ?? 10_000);
  while (Date.now() < deadline) {
    if (opts.registry.read(pid)) return { pid, outputFile, registered: true };
    if (!isAlive(pid)) {
      let out = '';
      try {
        out = readFileSync(outputFile, 'utf8');
      } catch {
        /* nothing written */
      }
      // A very short run may register, finish and unregister between two polls.
      if (out.includes(daemonStartedLine(pid))) return { pid, outputFile, registered: true };
      return { pid, outputFile, registered: false, failure: out.trim() || 'the daemon exited before it registered' };
    }
    await new Promise((r) => setTimeout(r, 25));
  }
  return { pid, outputFile, registered: false };
}

/** The first line a daemon child prints (the launcher looks for it). */
export function daemonStartedLine(pid: number): string {
  return `parallelr daemon ${pid} started`;
}
