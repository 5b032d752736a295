import type { CliIo } from '../../shared/cli-io.js';
import { ExitCode } from '../../shared/exit-codes.js';
import { parseHostAddress } from '../../shared/hosts/index.js';
import { packageRoot } from '../../shared/proto/load-proto.js';
import type { SshTarget } from '../../shared/ssh/index.js';
import { defaultRegistry } from '../../shared/exec/index.js';
import { agentExecTypes } from '../server/exec-registry.js';
import { parseFlags, parseIntFlag } from './parse-flags.js';
import { UsageError } from '../../shared/errors/index.js';

export const INSTALL_USAGE =
  '       tasker-agent install --ssh USER@HOST[:PORT] [--port N] [--identity F] [--known-hosts F] [--socket PATH]\n' +
  '                            [--prefix DIR] [--tls-ca F --tls-cert F --tls-key F [--listen-host H] [--listen-port P]]\n' +
  '                            [--insecure-loopback [--listen-port P]] [--allow-client NAME…] [--service-user NAME]\n' +
  '                            [--allow-exec TYPE,…  (default pbrun,p7s,wwrs,local; shell only when listed)] [--hardening]';

/** `tasker-agent install`: see installAgent. Exit 0 installed and healthy, 1 failed, 2 usage. */
export async function installCommand(argv: string[], io: CliIo): Promise<number> {
  let opts;
  try {
    const { flags, positional } = parseFlags(argv, {
      ssh: 'string', port: 'string', identity: 'string', 'known-hosts': 'string', 'listen-port': 'string',
      'listen-host': 'string', prefix: 'string', 'tls-ca': 'string', 'tls-cert': 'string', 'tls-key': 'string',
      'allow-client': 'list', 'service-user': 'string', socket: 'string', 'insecure-loopback': 'boolean',
      'allow-exec': 'list', hardening: 'boolean',
    });
    if (positional.length) throw new UsageError(`unexpected argument \`${positional[0]}\``);
    const dest = flags.ssh as string | undefined;
    if (!dest) throw new UsageError('--ssh USER@HOST is required');
    const parsed = parseHostAddress(dest);
    if (!parsed.ok) throw new UsageError(`--ssh must be USER@HOST[:PORT]: ${parsed.message}`);
    const { host, user, port } = parsed.address;
    const target: SshTarget = { host };
    if (user) target.user = user;
    if (port) target.port = port;
    if (flags.port) {
      const flagPort = parseIntFlag('port', flags.port as string, 1, 65535);
      if (port && port !== flagPort) throw new UsageError(`--ssh ${dest} says port ${port} and --port says ${flagPort}; give one`);
      target.port = flagPort;
    }
    if (flags.identity) target.identity = flags.identity as string;
    if (flags['known-hosts']) target.knownHosts = flags['known-hosts'] as string;
    const tlsGiven = ['tls-ca', 'tls-cert', 'tls-key'].filter((k) => flags[k]).length;
    if (tlsGiven !== 0 && tlsGiven !== 3) throw new UsageError('--tls-ca, --tls-cert and --tls-key must be given together');
    const insecureLoopback = flags['insecure-loopback'] === true;
    if (tlsGiven && insecureLoopback) throw new UsageError('--insecure-loopback is for an agent without TLS; drop it or the --tls-* options');
    if (flags.socket && (tlsGiven || insecureLoopback)) throw new UsageError('--socket is the Unix-socket agent (the default); it does not go with --tls-* or --insecure-loopback');
    if (!tlsGiven && !insecureLoopback && (flags['listen-port'] || flags['listen-host'])) {
      throw new UsageError(
        '--listen-port/--listen-host make a TCP agent: give --tls-ca/--tls-cert/--tls-key (mutual TLS), or --insecure-loopback ' +
          '(plaintext on 127.0.0.1: every local user can run tasks); the default is a Unix socket (--socket PATH)',
      );
    }
    if (insecureLoopback && flags['listen-host']) throw new UsageError('--insecure-loopback listens on 127.0.0.1 only; drop --listen-host');
    const socket = flags.socket as string | undefined;
    if (socket !== undefined && !socket.startsWith('/')) throw new UsageError(`--socket must be an absolute path on the host, got \`${socket}\``);
    const allowExec = flags['allow-exec'] === undefined ? undefined : readAllowExec(flags['allow-exec'] as string[]);
    opts = {
      target,
      ...(allowExec ? { allowExec } : {}),
      ...(flags.hardening === true ? { hardening: true } : {}),
      ...(flags['listen-port'] ? { listenPort: parseIntFlag('listen-port', flags['listen-port'] as string, 1, 65535) } : {}),
      ...(socket ? { socket } : {}),
      ...(insecureLoopback ? { insecureLoopback } : {}),
      ...(flags['listen-host'] ? { listenHost: flags['listen-host'] as string } : {}),
      ...(flags.prefix ? { prefix: flags.prefix as string } : {}),
      ...(tlsGiven ? { tls: { ca: flags['tls-ca'] as string, cert: flags['tls-cert'] as string, key: flags['tls-key'] as string } } : {}),
      ...(flags['allow-client'] ? { allowClients: flags['allow-client'] as string[] } : {}),
      ...(flags['service-user'] ? { serviceUser: flags['service-user'] as string } : {}),
      root: packageRoot(),
      env: io.env,
      log: (line: string) => io.stdout.write(`${line}\n`),
    };
  } catch (err) {
    if (err instanceof UsageError) {
      io.stderr.write(`tasker-agent install: ${err.message}\nusage: ${INSTALL_USAGE.slice(7)}\n`);
      return ExitCode.USAGE;
    }
    throw err;
  }
  const { installAgent } = await import('../install/install.js');
  try {
    const r = await installAgent(opts);
    io.stdout.write(`installed tasker-agent ${r.version} in ${r.prefix} (${r.how}${r.pid ? `, pid ${r.pid}` : ''}); it listens on ${r.listen}\n`);
    return ExitCode.SUCCESS;
  } catch (err) {
    io.stderr.write(`tasker-agent install: ${(err as Error).message}\n`);
    return ExitCode.ERROR;
  }
}

/** `--allow-exec` names: the agent's exec types (canonical names, not aliases such as `bash`). */
function readAllowExec(names: string[]): string[] {
  const known = agentExecTypes(defaultRegistry());
  if (names.length === 0) throw new UsageError(`--allow-exec needs at least one exec type (${known.join(', ')})`);
  const unknown = names.filter((n) => !known.includes(n));
  if (unknown.length) {
    throw new UsageError(`--allow-exec: unknown exec type ${unknown.map((n) => `\`${n}\``).join(', ')} (an agent runs: ${known.join(', ')})`);
  }
  return [...new Set(names)];
}
