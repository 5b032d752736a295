/**
 * Where a run without a RemotePlacement (in-process on an agent) runs its tasks: this machine only.
 * Preflight refuses the run when a task needs an agent or SSH (remote-needs.ts); an exec that
 * becomes `ssh` only at run time gets an executor that fails the task, its host unreachable.
 */
import type { TaskExecutor } from '../../shared/exec/index.js';
import { TaskExit } from '../../shared/exit-codes.js';
import { createLocalExecutor } from '../executors/index.js';
import type { ExecutorSetup } from './executor-setup.js';
import type { PlacedTasks } from './remote-placement.js';
import { NO_REMOTE_PLACEMENT } from './remote-needs.js';

export function placeLocally(setup: ExecutorSetup): PlacedTasks {
  const local = createLocalExecutor({ registry: setup.registry, env: setup.io.env, cwd: setup.io.cwd, killGraceMs: setup.io.killGraceMs, hurry: setup.io.hurry });
  const refused = refusedExecutor('ssh');
  return {
    problems: [],
    checkAgents: async () => [],
    executors: {
      agentOf: new Map(),
      agents: new Map(),
      executorFor: (_task, execType) => (execType === 'ssh' ? refused : local),
      placeOf: (_task, execType) => (execType === 'ssh' ? 'ssh' : 'local'),
      close: () => local.close(),
    },
  };
}

/** What a task that needs remote placement runs on here: it fails at once, its host unreachable. */
function refusedExecutor(name: string): TaskExecutor {
  const text = `tasker: ${name}: ${NO_REMOTE_PLACEMENT}\n`;
  return {
    name: `${name} (not available)`,
    execute: async () => ({
      argv: [], exitCode: TaskExit.UNREACHABLE, signal: null, stdout: '', stderr: text, stdoutBytes: 0, stderrBytes: text.length,
      timedOut: false, canceled: false, durationMs: 0, truncated: false, spawnError: text.trim(), unreachable: true,
    }),
    close: async () => {},
  };
}
