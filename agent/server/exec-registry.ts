import { buildArgv, resolveExecType, type ExecTypeRegistry } from '../../shared/exec/index.js';
import type { ArgvBuilder } from './execute-context.js';

/** Exec types an agent can run: every registry type with a local template (not `ssh`). */
export function agentExecTypes(registry: ExecTypeRegistry): string[] {
  return [...registry.types.values()].filter((t) => !t.remote).map((t) => t.name);
}

/** The agent's argv builder: the shared registry's templates, errors mapped to request fields. */
export function registryArgvBuilder(registry: ExecTypeRegistry): ArgvBuilder {
  return (req) => {
    const type = resolveExecType(registry, req.execType);
    if (!type) return { field: 'exec_type', message: `unknown exec type \`${req.execType}\`` };
    if (type.remote) return { field: 'exec_type', message: `exec type \`${type.name}\` is not run by agents` };
    const built = buildArgv(type, { hostname: req.hostname, command: req.command, arguments: req.arguments });
    if (built.error === undefined) return { argv: built.argv };
    const m = /^(arguments|command): (.*)$/s.exec(built.error);
    if (m) return { field: m[1]!, message: m[2]! };
    return { field: /command/.test(built.error) ? 'command' : 'exec_type', message: built.error };
  };
}
