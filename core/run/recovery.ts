/** --auto-recovery for a run: load a saved state, decide whether to resume (refusals exit 12), keep it up to date. */
import { resolve } from 'node:path';
import { ExitCode } from '../../shared/exit-codes.js';
import type { RunExit, ValidatedRun } from './types.js';

export interface PreparedRecovery {
  path: string;
  mod: typeof import('../recovery/index.js');
  resume?: ReturnType<typeof import('../recovery/index.js').restoreResume>;
  /** A save failed (a full disk): said once, the later ones are tried but not said again. */
  saveFailed?: boolean;
}

/** The run's recovery file (`--recovery-file`, else BASE/recovery/NAME_HASH.recovery.json); its caller is told the path before the run first looks at it (RunOptions.onRecoveryFile). */
export async function recoveryFileOf(run: ValidatedRun): Promise<string> {
  if (run.recoveryFile) return run.recoveryFile;
  const { recoveryPath } = await import('../recovery/index.js');
  const asked = run.args.recoveryFile;
  const path = asked !== undefined ? resolve(run.io.cwd, asked) : recoveryPath(run.base, run.taskFile);
  run.recoveryFile = path;
  run.onRecoveryFile?.(path);
  return path;
}

export async function prepareRecovery(run: ValidatedRun): Promise<PreparedRecovery | RunExit> {
  const { args, io, log, workflow } = run;
  const mod = await import('../recovery/index.js');
  const path = await recoveryFileOf(run);
  const loaded = mod.loadRecovery(path, { taskText: run.text, workflow, env: io.env });
  if ('error' in loaded) {
    log.error(loaded.error);
    return { exitCode: loaded.exitCode };
  }
  if (!loaded.state) return { path, mod };
  for (const w of loaded.warnings) log.warn(w);
  if (loaded.resumeAt === null) {
    mod.deleteRecovery(path);
    return { path, mod };
  }
  if (loaded.envChanges.length > 0) {
    for (const c of loaded.envChanges) log.warn(mod.describeEnvChange(c, loaded.state, workflow.globals));
    if (!args.yes) {
      const answer = io.isTTY && io.readLine ? await io.readLine('Environment changed since the saved run. Continue recovery? [y/N] ') : undefined;
      if (!/^y(es)?$/i.test((answer ?? '').trim())) {
        log.error(`Recovery refused: the environment changed${answer === undefined ? ' and there is no terminal to confirm (add -y)' : ''}`);
        return { exitCode: ExitCode.START_FROM_INVALID };
      }
    }
  }
  const resume = mod.restoreResume(loaded.state, loaded.globals);
  if (resume) log.info(`Resuming ${args.taskFile} at task ${resume.next} from ${path}`);
  return { path, mod, resume };
}

/** --show-recovery-info: print the saved state, run nothing. */
export async function showRecoveryInfo(run: ValidatedRun): Promise<number> {
  const { args, io, workflow } = run;
  const mod = await import('../recovery/index.js');
  const path = await recoveryFileOf(run);
  const loaded = mod.loadRecovery(path, { taskText: run.text, workflow, env: io.env });
  if ('error' in loaded) io.stdout.write(`${loaded.error}\n`);
  else if (!loaded.state) io.stdout.write(`No recovery state for ${args.taskFile} (looked for ${path})\n`);
  else io.stdout.write(`${mod.formatRecoveryInfo(loaded.state, path)}\n`);
  return ExitCode.SUCCESS;
}
