import type { Workflow } from '../../shared/taskfile/model.js';

/**
 * The `agent=` a sub-task takes from the block that runs it (when it has none of its own). A task
 * run by two blocks that name different agents is a problem: it must say where it runs itself.
 */
export function inheritAgents(workflow: Workflow, problems: string[]): Map<number, string> {
  const inherited = new Map<number, string>();
  const from = new Map<number, number>();
  for (const block of workflow.tasks.values()) {
    if (block.type === 'task' || block.agent === undefined) continue;
    for (const id of [...(block.tasks ?? []), ...(block.ifTrueTasks ?? []), ...(block.ifFalseTasks ?? [])]) {
      const sub = workflow.tasks.get(id);
      if (!sub || sub.agent !== undefined) continue;
      const earlier = inherited.get(id);
      if (earlier !== undefined && earlier !== block.agent) {
        problems.push(`task ${id}: runs in block ${from.get(id)} (agent=${earlier}) and block ${block.id} (agent=${block.agent}); give task ${id} an agent= of its own`);
        continue;
      }
      inherited.set(id, block.agent);
      from.set(id, block.id);
    }
  }
  return inherited;
}
