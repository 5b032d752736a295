import type { CliIo } from '../../shared/cli-io.js';
import { ExitCode } from '../../shared/exit-codes.js';
import { initCa, issueCert } from '../certs/certs.js';
import { parseFlags, parseIntFlag } from './parse-flags.js';
import { SetupError, UsageError } from '../../shared/errors/index.js';

export const CERTS_USAGE =
  'usage: tasker-agent certs init --dir DIR [--days N]\n' +
  '       tasker-agent certs issue --dir DIR --name NAME [--san HOST|IP…] [--client|--server] [--days N]';

/** `tasker-agent certs init|issue`: a CA and mTLS certificates for agents and controllers, via openssl. */
export async function certsCommand(argv: string[], io: CliIo): Promise<number> {
  try {
    const [sub, ...rest] = argv;
    const { flags, positional } = parseFlags(rest, {
      dir: 'string', name: 'string', san: 'list', client: 'boolean', server: 'boolean', days: 'string',
    });
    if (positional.length) throw new UsageError(`unexpected argument \`${positional[0]}\``);
    const dir = flags.dir as string | undefined;
    if (!dir) throw new UsageError('--dir DIR is required');
    const days = flags.days === undefined ? undefined : parseIntFlag('days', flags.days as string, 1, 36500);
    if (sub === 'init') {
      const { cert, key } = await initCa(dir, days);
      io.stdout.write(`CA created: ${cert} (key ${key}, keep it private)\n`);
      return ExitCode.SUCCESS;
    }
    if (sub === 'issue') {
      const name = flags.name as string | undefined;
      if (!name) throw new UsageError('--name NAME is required');
      if (!/^[A-Za-z0-9][A-Za-z0-9._-]{0,63}$/.test(name)) {
        throw new UsageError(`--name must be letters, digits, '.', '_' or '-' (at most 64), got \`${name}\``);
      }
      if (flags.client && flags.server) throw new UsageError('give --client or --server, not both (neither = both usages)');
      const usage = flags.client ? 'client' : flags.server ? 'server' : 'both';
      const { cert, key } = await issueCert({ dir, name, sans: flags.san as string[] | undefined, usage, days });
      io.stdout.write(`certificate for ${name} (${usage}): ${cert}, key ${key}\n`);
      return ExitCode.SUCCESS;
    }
    throw new UsageError(sub ? `unknown certs command \`${sub}\`` : 'certs needs `init` or `issue`');
  } catch (err) {
    if (err instanceof UsageError) {
      io.stderr.write(`tasker-agent certs: ${err.message}\n${CERTS_USAGE}\n`);
      return ExitCode.USAGE;
    }
    if (err instanceof SetupError) {
      io.stderr.write(`tasker-agent certs: ${err.message}\n`);
      return ExitCode.ERROR;
    }
    throw err;
  }
}
