import { lookup } from 'node:dns/promises';
import { buildArgv, resolveExecType, type ExecTypeRegistry } from '../../shared/exec/exec-types.js';
import { runProcess } from '../../shared/exec/run-process.js';
import type { HostCheck__Output } from '../../shared/proto/generated/tasker/agent/v1/HostCheck.js';
import type { HostResult } from '../../shared/proto/generated/tasker/agent/v1/HostResult.js';

/**
 * Host validation from the agent's side (SPEC §2 "host validation"): the hostname resolves, answers
 * one ping, and with `checkConnectivity` the exec type's connectivity test passes. Hosts are
 * checked concurrently; every problem is reported, none throws.
 */
export async function checkHostsOnAgent(
  registry: ExecTypeRegistry,
  hosts: HostCheck__Output[],
  checkConnectivity: boolean,
): Promise<HostResult[]> {
  return Promise.all(hosts.map((h) => checkOne(registry, h, checkConnectivity)));
}

async function checkOne(registry: ExecTypeRegistry, h: HostCheck__Output, connectivity: boolean): Promise<HostResult> {
  const problems: string[] = [];
  const type = resolveExecType(registry, h.exec_type);
  if (!type) problems.push(`${h.hostname}: unknown exec type \`${h.exec_type}\``);
  else if (type.usesHost) {
    try {
      await lookup(h.hostname);
      const ping = await runProcess({ argv: ['ping', '-c', '1', '-W', '2', h.hostname], timeoutMs: 5000 });
      if (ping.exitCode !== 0) problems.push(`${h.hostname}: does not answer ping (exit ${ping.exitCode})`);
    } catch (err) {
      problems.push(`${h.hostname}: does not resolve (${(err as NodeJS.ErrnoException).code ?? (err as Error).message})`);
    }
  }
  const test = type?.connectivityTest;
  if (connectivity && type && test && problems.length === 0) {
    const built = buildArgv(type, { hostname: h.hostname, command: test.command, arguments: test.arguments });
    if (built.error) problems.push(`${h.hostname}: connectivity test cannot be built: ${built.error}`);
    else {
      const r = await runProcess({ argv: built.argv, timeoutMs: test.timeoutSec * 1000 });
      if (r.exitCode !== test.expectedExit || (test.expectedOutput && !r.stdout.includes(test.expectedOutput))) {
        problems.push(
          `${h.hostname}: ${type.name} connectivity test \`${built.argv.join(' ')}\` failed ` +
            `(exit ${r.exitCode}${test.expectedOutput && !r.stdout.includes(test.expectedOutput) ? `, no \`${test.expectedOutput}\` in output` : ''})`,
        );
      }
    }
  }
  return { hostname: h.hostname, exec_type: h.exec_type, ok: problems.length === 0, problems };
}
