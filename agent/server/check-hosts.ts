import type { HostValidationConfig } from '../../shared/config/index.js';
import type { ExecTypeRegistry } from '../../shared/exec/index.js';
import type { HostCheck__Output } from '../../shared/proto/generated/tasker/agent/v1/HostCheck.js';
import type { HostResult } from '../../shared/proto/generated/tasker/agent/v1/HostResult.js';
// The host checks are tasker's own (controller/hosts); the agent runs the very same code from its
// host. (They only depend on shared/; they could move to shared/hosts.)
import { validateHosts } from '../../shared/hosts/index.js';

export interface AgentHostCheckContext {
  registry: ExecTypeRegistry;
  hostValidation: HostValidationConfig;
  env: NodeJS.ProcessEnv;
}

/**
 * Host validation from the agent's side (SPEC §2): DNS (+ configured fallback resolver), ping, and
 * with `checkConnectivity` the exec type's connectivity test. One result per requested host.
 */
export async function checkHostsOnAgent(
  ctx: AgentHostCheckContext,
  hosts: HostCheck__Output[],
  checkConnectivity: boolean,
): Promise<HostResult[]> {
  const targets = hosts.map((h, i) => ({ taskId: i + 1, hostname: h.hostname, execType: h.exec_type }));
  const result = await validateHosts(targets, {
    registry: ctx.registry,
    hostValidation: ctx.hostValidation,
    checkConnectivity,
    env: ctx.env,
  });
  return hosts.map((h, i) => {
    const problems = result.problems
      .filter((p) => p.hostname === h.hostname && p.taskIds.includes(i + 1))
      .map((p) => p.message);
    return { hostname: h.hostname, exec_type: h.exec_type, ok: problems.length === 0, problems };
  });
}
