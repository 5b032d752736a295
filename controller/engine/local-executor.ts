/** Runs tasks on this machine through the shared process runner, with the exec type's argv template. */
import { buildArgv, resolveExecType } from '../../shared/exec/index.js';
import type { ExecTypeRegistry } from '../../shared/exec/index.js';
import type { ExecRequest, ProcessResult, StartedAhead, TaskExecutor } from '../../shared/exec/index.js';
import type { FollowOn } from '../../shared/exec/index.js';
import { discardFollowOn, runProcess } from '../../shared/exec/index.js';

/** A next task the launcher starts the moment the current one exits with status 0 on its own. */
class LaunchedAhead implements StartedAhead {
  readonly started: Promise<boolean>;
  constructor(readonly followOn: FollowOn) {
    this.started = followOn.started.then((c) => c !== undefined, () => false);
  }
  discard(): Promise<boolean> {
    return discardFollowOn(this.followOn);
  }
}

export interface LocalExecutorOptions {
  registry: ExecTypeRegistry;
  env: NodeJS.ProcessEnv;
  cwd: string;
  spillDir?: string;
}

export function createLocalExecutor(opts: LocalExecutorOptions): TaskExecutor {
  const argvFor = (req: Pick<ExecRequest, 'execType' | 'hostname' | 'command' | 'arguments'>) => {
    const type = resolveExecType(opts.registry, req.execType);
    return type ? buildArgv(type, { hostname: req.hostname, command: req.command, arguments: req.arguments }) : { argv: [], error: `exec type '${req.execType}' is not configured` };
  };
  return {
    name: 'local',
    pipelineDepth: 1,
    async execute(req: ExecRequest): Promise<ProcessResult> {
      const built = argvFor(req);
      if (built.error) {
        return { argv: [], exitCode: 2, signal: null, stdout: '', stderr: `${built.error}\n`, stdoutBytes: 0, stderrBytes: 0, timedOut: false, canceled: false, durationMs: 0, truncated: false, spawnError: built.error };
      }
      // The launcher follows a started program only: one task ahead, after this one.
      const next = req.then?.[0] && !req.after ? argvFor(req.then[0]) : undefined;
      const result = await runProcess({
        argv: built.argv, cwd: opts.cwd, env: opts.env, timeoutMs: req.timeoutMs, signal: req.signal,
        captureLimit: req.captureLimit, spillDir: opts.spillDir, onStdout: req.onStdout, onStderr: req.onStderr,
        then: next && !next.error ? { argv: next.argv, cwd: opts.cwd, env: opts.env } : undefined,
        prestarted: req.prestarted instanceof LaunchedAhead ? req.prestarted.followOn : undefined,
      });
      if (result.followOn) result.ahead = [new LaunchedAhead(result.followOn)];
      return result;
    },
    async close() {},
  };
}
