/** `tasker-ui serve` arguments, and the rule that a console reachable from elsewhere needs TLS and client certificates. */
import { isIP } from 'node:net';
import { homedir } from 'node:os';
import { resolve } from 'node:path';
import { parseArgs } from 'node:util';
import { UsageError } from '../../shared/errors/index.js';

export const USAGE = 'usage: tasker-ui serve [--listen HOST:PORT] [-l BASE] [--nats URL] [--config FILE] [--tls-cert F --tls-key F --tls-ca F]';

export const HELP = `${USAGE}

A read-only web console over the runs under BASE and the fleet.

  --listen HOST:PORT   where to serve (default 127.0.0.1:8080); a non-loopback address needs
                       TLS with client certificates (--tls-cert, --tls-key, --tls-ca)
  -l, --log-dir BASE   the tasker log base (default: TASK_EXECUTOR_LOG, else ~/TASKER)
  --nats URL           NATS server: live distributed runs and the NATS workers of the fleet
  --config FILE        tasker config: agents for the fleet page, secret names to mask
  --tls-cert FILE      server certificate (PEM)
  --tls-key FILE       its private key (PEM)
  --tls-ca FILE        CA whose client certificates may connect (PEM)
  -h, --help           this help
`;

export interface ConsoleArgs {
  host: string;
  port: number;
  base: string;
  nats?: string;
  config?: string;
  tls?: { cert: string; key: string; ca: string };
}

/** 127.0.0.0/8, ::1, `localhost` (anything else, 0.0.0.0 included, reaches beyond this machine). */
export function isLoopbackHost(host: string): boolean {
  const h = host.toLowerCase();
  if (h === 'localhost' || h === '::1') return true;
  if (isIP(h) === 4) return h.startsWith('127.');
  return h.startsWith('::ffff:127.') && isIP(h.slice(7)) === 4;
}

function parseListen(text: string): { host: string; port: number } {
  const m = /^\[([^\]]+)\]:(\d+)$/.exec(text) ?? /^([^:[\]]+):(\d+)$/.exec(text);
  const port = Number(m?.[2]);
  if (!m || !Number.isInteger(port) || port > 65535) throw new UsageError(`--listen must be HOST:PORT (e.g. 127.0.0.1:8080, [::1]:8080), got \`${text}\``);
  return { host: m[1]!, port };
}

/** Parses `serve …`; undefined means help was asked for. */
export function parseConsoleArgs(argv: readonly string[], env: NodeJS.ProcessEnv, cwd: string): ConsoleArgs | undefined {
  const { values, positionals } = (() => {
    try {
      return parseArgs({
        args: [...argv], allowPositionals: true, strict: true,
        options: {
          listen: { type: 'string' }, 'log-dir': { type: 'string', short: 'l' }, nats: { type: 'string' }, config: { type: 'string' },
          'tls-cert': { type: 'string' }, 'tls-key': { type: 'string' }, 'tls-ca': { type: 'string' }, help: { type: 'boolean', short: 'h' },
        },
      });
    } catch (error) {
      throw new UsageError((error as Error).message);
    }
  })();
  if (values.help) return undefined;
  if (positionals[0] !== 'serve' || positionals.length > 1) {
    throw new UsageError(positionals.length === 0 ? 'a command is needed: serve' : `unknown command \`${positionals.join(' ')}\`; the command is serve`);
  }
  const { host, port } = parseListen(values.listen ?? '127.0.0.1:8080');
  const tlsGiven = [values['tls-cert'], values['tls-key'], values['tls-ca']].filter(Boolean).length;
  if (tlsGiven > 0 && tlsGiven < 3) throw new UsageError('--tls-cert, --tls-key and --tls-ca must be given together');
  const tls = tlsGiven === 3 ? { cert: resolve(cwd, values['tls-cert']!), key: resolve(cwd, values['tls-key']!), ca: resolve(cwd, values['tls-ca']!) } : undefined;
  if (!isLoopbackHost(host) && !tls) {
    throw new UsageError(
      `--listen ${values.listen} is not a loopback address: a console reachable from other machines needs TLS and client certificates ` +
      `(--tls-cert FILE --tls-key FILE --tls-ca FILE, as agents use; see docs/console.md). Use --listen 127.0.0.1:${port} to serve this machine only.`,
    );
  }
  const base = resolve(cwd, values['log-dir'] ?? (env.TASK_EXECUTOR_LOG || resolve(env.HOME || homedir(), 'TASKER')));
  return { host, port, base, nats: values.nats, config: values.config ? resolve(cwd, values.config) : undefined, tls };
}
