import { statSync } from 'node:fs';
import type { CliIo } from '../../shared/cli-io.js';
import type { CommandTemplate } from './command.js';
import { argumentEntries, discoverTaskFiles, fileEntries, readArgumentsFile, resolveInputFile } from './discover.js';
import type { CliOptions } from './options.js';
import type { ParallelrDirs } from './paths.js';
import type { TaskEntry } from './types.js';
import { InputError, UsageError } from '../../shared/errors/index.js';
import { readFailedEntries } from './rerun-failed.js';

/** The task entries for this command line, or a InputError naming what is wrong. */
export async function resolveTaskEntries(
  opts: CliOptions,
  template: CommandTemplate,
  envNames: readonly string[],
  io: CliIo,
  dirs: ParallelrDirs,
  err: (text: string) => void,
): Promise<{ entries: TaskEntry[]; argumentsPath?: string }> {
  if (opts.rerunFailed !== undefined) {
    if (opts.tasksPaths.length || opts.argumentsFile) throw new UsageError('--rerun-failed takes the place of -T and -A: the entries come from the results file');
    return { entries: readFailedEntries(opts.rerunFailed, io.cwd, envNames).entries };
  }
  const home = io.env.HOME || dirs.home;
  const confirmFallback = async (given: string, found: string) => {
    err(`parallelr: warning: ${given} was not found here; using ${found} from the fallback search`);
    if (opts.yes) return;
    const answer = io.readLine ? await io.readLine('Continue with this file? [y/N]: ') : undefined;
    if (!answer || !/^y(es)?$/i.test(answer.trim())) throw new InputError(`${given}: not confirmed (add -y to accept fallback files)`);
  };
  if (!opts.argumentsFile) {
    if (template.maxArgIndex > 0) throw new InputError(`-C uses @ARG${template.maxArgIndex > 1 ? `_${template.maxArgIndex}` : ''}@ but there is no -A/--arguments-file`);
    const found = discoverTaskFiles(opts.tasksPaths, { cwd: io.cwd, extensions: opts.fileExtensions });
    if ('error' in found) throw new InputError(found.error);
    return { entries: fileEntries(found.files) };
  }
  let templateFile: { given: string; absolute: string } | null = null;
  if (opts.tasksPaths.length > 1) throw new InputError('with -A, -T names exactly one template file');
  if (opts.tasksPaths.length === 1) {
    const given = opts.tasksPaths[0]!;
    const r = resolveInputFile(given, { cwd: io.cwd, home, search: opts.search });
    if ('error' in r) throw new InputError(`-T ${r.error}`);
    if (!isFile(r.path)) throw new InputError(`-T ${given}: with -A, -T must be a template file, not a directory`);
    if (r.fromFallback) await confirmFallback(given, r.path);
    templateFile = { given, absolute: r.path };
  }
  const a = resolveInputFile(opts.argumentsFile, { cwd: io.cwd, home, search: opts.search });
  if ('error' in a) throw new InputError(`-A ${a.error}`);
  if (a.fromFallback) await confirmFallback(opts.argumentsFile, a.path);
  const rows = readArgumentsFile(a.path, opts.separator);
  if ('error' in rows) throw new InputError(rows.error, rows.exitCode);
  const fields = rows.rows[0]!.fields.length;
  if (envNames.length > fields) {
    throw new InputError(`-E names ${envNames.length} variable(s) (${envNames.join(', ')}) but each line of ${opts.argumentsFile} has only ${fields} argument(s)`);
  }
  if (envNames.length && envNames.length < fields) err(`parallelr: warning: -E names ${envNames.length} of ${fields} arguments; the rest are only available as @ARG_N@`);
  if (template.maxArgIndex > fields) {
    throw new InputError(`-C uses @ARG_${template.maxArgIndex}@ but each line of ${opts.argumentsFile} has only ${fields} argument(s)`);
  }
  if (!templateFile && template.maxArgIndex === 0 && envNames.length === 0) {
    err('parallelr: warning: -C uses no @ARG@/@ARG_N@ and no -E variables: every task runs the same command');
  }
  return { entries: argumentEntries(rows.rows, templateFile, envNames), argumentsPath: a.path };
}

function isFile(p: string): boolean {
  try {
    return statSync(p).isFile();
  } catch {
    return false;
  }
}
