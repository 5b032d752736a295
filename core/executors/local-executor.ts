/** Runs tasks on this machine through the shared process runner, with the exec type's argv template. */
import { buildArgv, resolveExecType, spillDirOf } from '../../shared/exec/index.js';
import type { ExecTypeRegistry } from '../../shared/exec/index.js';
import { discardAheadProcess, runProcessStartingAhead, type AheadProcess, type ExecRequest, type ProcessResult } from '../../shared/exec/index.js';
import type { StartAheadExecutor, StartAheadRequest, StartAheadResult, StartedAhead } from './start-ahead.js';
import { TaskExit } from '../../shared/exit-codes.js';

/** A next task the launcher starts the moment the current one exits with status 0 on its own. */
class LaunchedAhead implements StartedAhead {
  readonly started: Promise<boolean>;
  constructor(readonly process: AheadProcess) {
    this.started = process.started.then((c) => c !== undefined, () => false);
  }
  discard(): Promise<boolean> {
    return discardAheadProcess(this.process);
  }
}

export interface LocalExecutorOptions {
  registry: ExecTypeRegistry;
  env: NodeJS.ProcessEnv;
  cwd: string;
  spillDir?: string;
  /** Between a stopped task's SIGTERM and SIGKILL (CliIo.killGraceMs); default 2 s. */
  killGraceMs?: number;
  /** The run's operator will not wait: graces end at once (CliIo.hurry). */
  hurry?: AbortSignal;
}

export function createLocalExecutor(opts: LocalExecutorOptions): StartAheadExecutor {
  const argvFor = (req: Pick<ExecRequest, 'execType' | 'hostname' | 'command' | 'arguments'>) => {
    const type = resolveExecType(opts.registry, req.execType);
    return type ? buildArgv(type, { hostname: req.hostname, command: req.command, arguments: req.arguments }) : { argv: [], error: `exec type '${req.execType}' is not configured` };
  };
  const run = async (req: ExecRequest, ahead: StartAheadRequest | undefined): Promise<StartAheadResult> => {
    const built = argvFor(req);
    if (built.error) {
      return { result: { argv: [], exitCode: TaskExit.BAD_TEMPLATE, signal: null, stdout: '', stderr: `${built.error}\n`, stdoutBytes: 0, stderrBytes: 0, timedOut: false, canceled: false, durationMs: 0, truncated: false, spawnError: built.error }, started: [] };
    }
    // The launcher starts ahead after a started program only: one task, after this one.
    const next = ahead?.next[0] && !ahead.after ? argvFor(ahead.next[0]) : undefined;
    const r = await runProcessStartingAhead({
      argv: built.argv, cwd: opts.cwd, env: opts.env, timeoutMs: req.timeoutMs, signal: req.signal, killGraceMs: opts.killGraceMs, hurry: opts.hurry,
      captureLimit: req.captureLimit, spillDir: opts.spillDir ?? spillDirOf(opts.env), onStdout: req.onStdout, onStderr: req.onStderr,
    }, ahead && {
      next: next && !next.error ? { argv: next.argv, cwd: opts.cwd, env: opts.env } : undefined,
      taken: ahead.taken instanceof LaunchedAhead ? ahead.taken.process : undefined,
    });
    return { result: r.result, started: r.next ? [new LaunchedAhead(r.next)] : [] };
  };
  return {
    name: 'local',
    startAhead: { depth: 1, execute: run },
    execute: async (req) => (await run(req, undefined)).result,
    async close() {},
  };
}
