/**
 * Exec types of one run, resolved once: the default, each name's canonical type, each task's type,
 * and the command line operators see. Every stage (validation, the plan, preflight, executors, the
 * engine) asks this object instead of resolving names itself.
 */
import { buildArgv, execTypeNames, resolveExecType } from '../../shared/exec/index.js';
import type { ExecType, ExecTypeRegistry } from '../../shared/exec/index.js';
import { quoteArg } from '../../shared/exec/index.js';
import type { Task, Workflow } from '../../shared/taskfile/model.js';
import { substitute } from '../../shared/taskfile/variables.js';

export interface TaskExecType {
  /** The task's `exec` (globals substituted, lower-cased) or the default. */
  name: string;
  /** That name's canonical type; undefined when it is not configured. */
  canonical: string | undefined;
}

export interface ExecTypes {
  /** The run's default exec type, lower-cased (-t, TASK_EXECUTOR_TYPE, config, else pbrun). */
  defaultName: string;
  /** Where the default came from, for the error that names it. */
  defaultSource: '-t' | 'TASK_EXECUTOR_TYPE' | 'the config';
  /** Every configured name and alias, lower-cased. */
  names: Set<string>;
  type: (name: string) => ExecType | undefined;
  canonical: (name: string) => string | undefined;
  /** A task's exec type; each distinct `exec` text is resolved once per run. Needs `bind` first. */
  ofTask: (task: Task) => TaskExecType;
  /** The workflow whose globals `ofTask` substitutes (known once the workflow is built). */
  bind: (workflow: Workflow) => void;
  describeCommand: (execType: string, hostname: string, command: string, args: string) => string;
}

export function createExecTypes(registry: ExecTypeRegistry, fromArgs: string | undefined, env: NodeJS.ProcessEnv): ExecTypes {
  const envType = env['TASK_EXECUTOR_TYPE'] || undefined;
  const defaultName = (fromArgs ?? envType ?? registry.defaultExecType ?? 'pbrun').toLowerCase();
  const known = new Map<string, ExecType | undefined>();
  const type = (name: string): ExecType | undefined => {
    if (!known.has(name)) known.set(name, resolveExecType(registry, name));
    return known.get(name);
  };
  const canonical = (name: string): string | undefined => type(name)?.name;
  let workflow: Workflow | undefined;
  const ofTasks = new Map<string | undefined, TaskExecType>();
  const ofTask = (t: Task): TaskExecType => {
    let found = ofTasks.get(t.exec);
    if (!found) {
      const name = t.exec !== undefined ? substitute(t.exec, (n) => workflow?.globals.get(n)).trim().toLowerCase() : defaultName;
      found = { name, canonical: canonical(name) };
      ofTasks.set(t.exec, found);
    }
    return found;
  };
  const describeCommand = (execType: string, hostname: string, command: string, a: string): string => {
    if (execType === 'ssh') return `ssh ${hostname} ${command}${a ? ` ${a}` : ''}`;
    const t = type(execType);
    if (!t) return `${command} ${a}`.trim();
    if (t.name === 'local') return `${command}${a ? ` ${a}` : ''}`;
    const { argv, error } = buildArgv(t, { hostname, command, arguments: a });
    return error ? `${command} ${a}`.trim() : argv.map(quoteArg).join(' ');
  };
  return {
    defaultName,
    defaultSource: fromArgs ? '-t' : envType ? 'TASK_EXECUTOR_TYPE' : 'the config',
    names: new Set(execTypeNames(registry).map((n) => n.toLowerCase())),
    type, canonical, ofTask, describeCommand,
    bind: (w) => {
      workflow = w;
      ofTasks.clear();
    },
  };
}
