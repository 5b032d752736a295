/** `tasker-ui serve`: parse, refuse an unsafe listen address (exit 2), serve until SIGINT/SIGTERM. */
import type { CliIo } from '../../shared/cli-io.js';
import { TaskerError, UsageError } from '../../shared/errors/index.js';
import { ExitCode } from '../../shared/exit-codes.js';
import { HELP, parseConsoleArgs, USAGE } from './console-args.js';
import { FleetView } from './fleet.js';
import { createConsoleServer } from './server.js';

export async function runConsole(argv: readonly string[], io: CliIo): Promise<number> {
  let args;
  try {
    args = parseConsoleArgs(argv, io.env, io.cwd);
  } catch (error) {
    if (!(error instanceof UsageError)) throw error;
    io.stderr.write(`${USAGE}\ntasker-ui: error: ${error.message}\n`);
    return ExitCode.USAGE;
  }
  if (!args) {
    io.stdout.write(HELP);
    return ExitCode.SUCCESS;
  }
  let fleet: FleetView;
  let console;
  try {
    fleet = await FleetView.open({ config: args.config, nats: args.nats, cwd: io.cwd, env: io.env });
    console = createConsoleServer(args, fleet);
  } catch (error) {
    if (!(error instanceof TaskerError) && !(error as NodeJS.ErrnoException).code) throw error;
    io.stderr.write(`tasker-ui: error: ${(error as Error).message}\n`);
    return ExitCode.USAGE;
  }
  const { server, index } = console;
  // The first index of BASE is built before the first page is asked for.
  index.refresh();
  const listening = await new Promise<Error | undefined>((resolve) => {
    server.once('error', resolve);
    server.listen(args.port, args.host, () => resolve(undefined));
  });
  if (listening) {
    io.stderr.write(`tasker-ui: error: cannot listen on ${args.host}:${args.port}: ${listening.message}\n`);
    await fleet.close();
    return ExitCode.ERROR;
  }
  const address = server.address();
  const port = typeof address === 'object' && address ? address.port : args.port;
  const host = args.host.includes(':') ? `[${args.host}]` : args.host;
  io.stdout.write(`tasker-ui: serving ${args.base} on ${args.tls ? 'https' : 'http'}://${host}:${port}/ (read-only)\n`);
  await new Promise<void>((resolve) => {
    if (io.signal?.aborted) return resolve();
    io.signal?.addEventListener('abort', () => resolve(), { once: true });
  });
  await console.close();
  await fleet.close();
  return ExitCode.SUCCESS;
}
