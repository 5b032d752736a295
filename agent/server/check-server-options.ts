import { ConfigError } from '../../shared/errors/index.js';
import type { ListenAddress } from './listen-address.js';
import { refuseOpenTransport } from './transport-policy.js';

/** The options of `startAgentServer` that decide whether it may start at all. */
export interface ServerOptionsToCheck {
  addr: ListenAddress;
  /** The listen address as the operator wrote it (for messages). */
  listen: string;
  tls: boolean;
  insecureLoopback: boolean;
  allowClients?: string[];
  allowExec?: string[];
  execTypes: string[];
}

/** Refuse an open transport, --allow-client without TLS, and unknown --allow-exec types (ConfigError). */
export function checkServerOptions(opts: ServerOptionsToCheck): void {
  const refused = refuseOpenTransport(opts.addr, opts.listen, opts.tls, opts.insecureLoopback);
  if (refused) throw new ConfigError(refused);
  if (opts.allowClients?.length && !opts.tls) {
    throw new ConfigError('--allow-client needs TLS (client names come from client certificates)');
  }
  const unknownExec = opts.allowExec?.filter((t) => !opts.execTypes.includes(t)) ?? [];
  if (unknownExec.length) {
    throw new ConfigError(
      `--allow-exec: unknown exec type ${unknownExec.map((t) => `\`${t}\``).join(', ')} (known: ${opts.execTypes.join(', ')})`,
    );
  }
}
