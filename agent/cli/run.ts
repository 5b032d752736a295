import type { CliIo } from '../../shared/cli-io.js';
import { ExitCode } from '../../shared/exit-codes.js';
import { packageVersion } from '../../shared/proto/package-info.js';
import { CERTS_USAGE, certsCommand } from './certs-command.js';
import { SERVE_USAGE } from './serve.js';
import { INSTALL_USAGE } from './install-command.js';

export const HELP = `tasker-agent — runs TASKER tasks on this host for a remote controller (gRPC, mutual TLS or SSH tunnel)

${SERVE_USAGE}
${CERTS_USAGE}
${INSTALL_USAGE}
       tasker-agent --version | --help

serve     Serve the Agent API. Without TLS only a loopback address is accepted (reach it through an
          SSH tunnel); with --tls-* clients need a certificate from the CA, --allow-client limits
          their names and --allow-exec the exec types. SIGTERM drains: no new tasks, running ones
          finish or are canceled after --drain-timeout (default 30 s).
certs     Create a CA (init) and certificates for agents (--server) and controllers (--client).
install   Upload this package over SSH/SFTP to a jumphost, write its config and systemd unit (or
          start it with nohup where there is no systemd) and check its health through the tunnel.
`;

/** The tasker-agent CLI. Returns the exit code; `serve` resolves only after a drain. */
export async function run(argv: string[], io: CliIo): Promise<number> {
  const [cmd, ...rest] = argv;
  switch (cmd) {
    case '--version':
    case '-V':
      io.stdout.write(`tasker-agent ${packageVersion()}\n`);
      return ExitCode.SUCCESS;
    case '--help':
    case '-h':
    case 'help':
      io.stdout.write(HELP);
      return ExitCode.SUCCESS;
    case 'serve':
      return (await import('./serve.js')).serve(rest, io);
    case 'certs':
      return certsCommand(rest, io);
    case 'install':
      return (await import('./install-command.js')).installCommand(rest, io);
    default:
      io.stderr.write(`tasker-agent: ${cmd ? `unknown command \`${cmd}\`` : 'a command is required'}\n${HELP}`);
      return ExitCode.USAGE;
  }
}
