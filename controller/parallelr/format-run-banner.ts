import type { LocalRunPlan } from './local-run-plan.js';
import type { OpenSession } from './open-session.js';
import { packageVersion } from './paths.js';

/** The banner a run prints and logs: its session, inputs, settings and files, between two rules. */
export function formatRunBanner(plan: LocalRunPlan, session: OpenSession, workspace: { dir: string; isolated: boolean }): string[] {
  const { opts, ctx, template, envNames } = plan;
  return [
    '='.repeat(70),
    `${ctx.name} ${packageVersion()}  session ${session.sessionId}${plan.isDaemonChild ? '  (daemon)' : ''}`,
    `Command template: ${template.text}`,
    opts.tasksPaths.length ? `Task paths: ${opts.tasksPaths.join(' ')}` : undefined,
    opts.argumentsFile ? `Arguments file: ${opts.argumentsFile}${opts.separator ? ` (separator: ${opts.separator})` : ''}` : undefined,
    envNames.length ? `Environment variables: ${envNames.join(', ')}` : undefined,
    `Tasks: ${plan.entries.length}   Workers: ${plan.maxWorkers}   Timeout: ${plan.timeoutSeconds}s   Start delay: ${plan.startDelaySeconds}s`,
    `Workspace: ${workspace.dir}${workspace.isolated ? ' (isolated, one directory per task)' : ' (shared)'}`,
    `Stop limits: ${plan.stopLimits ? `enabled (${plan.stopDescription})` : 'disabled'}`,
    `Main log: ${session.mainLogPath}`,
    `Results: ${session.resultsPath}`,
    session.taskOutput ? `Task output: ${session.taskOutput.path}` : undefined,
    '='.repeat(70),
  ].filter((l): l is string => l !== undefined);
}
