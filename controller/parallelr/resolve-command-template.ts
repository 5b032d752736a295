import { randomBytes } from 'node:crypto';
import { UsageError } from '../../shared/errors/index.js';
import { parseCommandTemplate, type CommandTemplate } from './command.js';
import type { CliOptions } from './options.js';

/**
 * The command template and -E names for this command line. ptasker mode supplies its own
 * `tasker @TASK@ -p PROJECT -r` (and HOSTNAME for an arguments file), announcing what it chose.
 */
export function resolveCommandTemplate(
  opts: CliOptions,
  ptasker: boolean,
  isDaemonChild: boolean,
  out: (text: string) => void,
): { template: CommandTemplate; envNames: string[] } {
  let commandText = opts.command;
  let envNames = opts.envVarNames;
  if (ptasker) {
    if (opts.tasksPaths.length === 0) throw new UsageError('ptasker needs -T (task files or a template)');
    const project = opts.project ?? `parallelr_${randomBytes(3).toString('hex')}`;
    if (!opts.project) out(`Auto-generated project: ${project}`);
    commandText = `tasker @TASK@ -p ${project} -r`;
    out(`Using command: ${commandText}`);
    if (opts.argumentsFile && envNames.length === 0) {
      envNames = ['HOSTNAME'];
      out('Auto-setting environment variable: HOSTNAME');
    }
  }
  if (commandText === undefined) throw new UsageError('-C/--Command is required (e.g. -C "bash @TASK@")');
  if (opts.tasksPaths.length === 0 && !opts.argumentsFile && opts.rerunFailed === undefined) throw new UsageError('-T/--TasksDir, -A/--arguments-file or --rerun-failed is required');
  if (opts.daemon && !opts.run && !isDaemonChild) throw new UsageError('-d/--daemon needs -r/--run (a dry run has nothing to run in the background)');
  const parsed = parseCommandTemplate(commandText);
  if ('error' in parsed) throw new UsageError(parsed.error);
  return { template: parsed.template, envNames };
}
