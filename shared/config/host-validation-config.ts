import { splitArgs } from '../exec/index.js';
import type { Diagnostic } from '../taskfile/diagnostics.js';
import { describe, isMap, readSeconds, readStringList, SchemaReport, type PositionOf } from './schema-check.js';

/** The `host_validation` section. Times are seconds. */
export interface HostValidationConfig {
  /** Fallback resolver argv with `{hostname}` (the seed's `op mc_isac -f {hostname}`); its stdout's first word is the FQDN. */
  resolverCommand?: string[];
  /** Ping each remote host (`ping -c 1 -W 1 HOST`). Default true. */
  ping: boolean;
  dnsTimeoutSec: number;
  pingTimeoutSec: number;
  resolverTimeoutSec: number;
}

export const DEFAULT_HOST_VALIDATION: Readonly<HostValidationConfig> = {
  ping: true,
  dnsTimeoutSec: 5,
  pingTimeoutSec: 5,
  resolverTimeoutSec: 10,
};

const KEYS = ['resolver_command', 'ping', 'dns_timeout', 'ping_timeout', 'resolver_timeout'] as const;

/** Read `host_validation` (absent → defaults). `resolver_command` may be a list or a string split like a shell. */
export function hostValidationFromConfig(
  data: Record<string, unknown>,
  positionOf?: PositionOf,
): { config: HostValidationConfig; diagnostics: Diagnostic[] } {
  const r = new SchemaReport(positionOf);
  const config: HostValidationConfig = { ...DEFAULT_HOST_VALIDATION };
  const section = data['host_validation'];
  if (section === undefined || section === null) return { config, diagnostics: [] };
  if (!isMap(section)) {
    r.error(['host_validation'], `host_validation must be a mapping, got ${describe(section)}`);
    return { config, diagnostics: r.diagnostics };
  }
  r.unknownKeys(['host_validation'], section, KEYS);
  const rc = section['resolver_command'];
  const rcPath = ['host_validation', 'resolver_command'];
  if (typeof rc === 'string') {
    const split = splitArgs(rc);
    if (split.error) r.error(rcPath, `host_validation.resolver_command: ${split.error}`);
    else if (split.args.length > 0) config.resolverCommand = split.args;
  } else if (rc !== undefined && rc !== null) {
    const list = readStringList(r, rcPath, rc);
    if (list && list.length > 0) config.resolverCommand = list;
  }
  if (config.resolverCommand && !config.resolverCommand.some((a) => a.includes('{hostname}')))
    r.error(rcPath, 'host_validation.resolver_command must contain {hostname}, e.g. [op, mc_isac, -f, "{hostname}"]');
  const ping = section['ping'];
  if (ping !== undefined) {
    if (typeof ping === 'boolean') config.ping = ping;
    else r.error(['host_validation', 'ping'], `host_validation.ping must be true or false, got ${describe(ping)}`);
  }
  config.dnsTimeoutSec = readSeconds(r, ['host_validation', 'dns_timeout'], section['dns_timeout']) ?? config.dnsTimeoutSec;
  config.pingTimeoutSec = readSeconds(r, ['host_validation', 'ping_timeout'], section['ping_timeout']) ?? config.pingTimeoutSec;
  config.resolverTimeoutSec =
    readSeconds(r, ['host_validation', 'resolver_timeout'], section['resolver_timeout']) ?? config.resolverTimeoutSec;
  return { config, diagnostics: r.diagnostics };
}
