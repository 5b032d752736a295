import type { ConfigPath } from '../../shared/config/index.js';
import type { Diagnostic } from '../../shared/taskfile/diagnostics.js';
import { agentsConfigDiagnostics } from '../agents/index.js';
import { parseSshConfig } from '../ssh/index.js';

type PositionOf = (path: ConfigPath, which?: 'value' | 'key') => { line: number; col: number } | undefined;

/**
 * Problems of the config's sections for remote execution (`agents`, `agent_tls`, `default_agent`,
 * `ssh`), positioned at their keys. tasker refuses such a config (exit 20) whether or not the run
 * sends anything to an agent or over SSH: a broken entry found only on the day it is used is
 * found too late, and was misreported ("no agents: section").
 */
export function remoteConfigDiagnostics(data: Record<string, unknown>, configPath: string | undefined, positionOf?: PositionOf): Diagnostic[] {
  const out = agentsConfigDiagnostics(data, configPath, positionOf);
  for (const { path, message } of parseSshConfig(data, configPath).issues) {
    const d: Diagnostic = { code: 'CONFIG_INVALID', severity: 'error', message };
    const pos = positionOf?.(path, 'key') ?? positionOf?.(path);
    if (pos) Object.assign(d, { line: pos.line, col: pos.col });
    out.push(d);
  }
  return out;
}
