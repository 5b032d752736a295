/**
 * The sub-tasks of a `hostnames=` block: one per selected host, each with its own id, the block's
 * command, and the host's placeholders (`@HOST@`, `@HOST_ADDRESS@`, `@HOST_VAR_name@`). The run and
 * the dry-run plan both use this, so they show the same commands.
 */
import { hostPlaceholders } from '../../shared/inventory/index.js';
import type { Inventory } from '../../shared/inventory/index.js';
import type { Task } from '../../shared/taskfile/model.js';

export interface FanOutSubTask {
  sub: Task;
  /** The result key, `BLOCK-ID`. */
  key: string;
}

export function fanOutSubTasks(task: Task, inventory: Inventory | undefined): FanOutSubTask[] {
  return (task.hostnames ?? []).map((host, i) => {
    const id = 100000 + task.id * 10000 + i;
    const sub: Task = {
      id, line: task.line, type: 'task', hostname: host, command: task.command,
      arguments: task.arguments.replace(/@task@/gi, String(id)), exec: task.exec, timeout: undefined,
      success: task.success, failure: task.failure, fields: task.fields,
      placeholders: hostPlaceholders(inventory, host),
      // Each generated sub-task runs where the block says (docs/agent.md).
      ...(task.agent !== undefined ? { agent: task.agent } : {}),
    };
    if (task.hostCondition) sub.condition = task.hostCondition;
    return { sub, key: `${task.id}-${id}` };
  });
}
