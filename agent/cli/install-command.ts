import type { CliIo } from '../../shared/cli-io.js';
import { ExitCode } from '../../shared/exit-codes.js';

export const INSTALL_USAGE =
  '       tasker-agent install --ssh USER@HOST [--port N] [--identity F] [--known-hosts F] [--listen-port P] [--prefix DIR]';

export async function installCommand(_argv: string[], io: CliIo): Promise<number> {
  io.stderr.write('tasker-agent install: not implemented yet\n');
  return ExitCode.USAGE;
}
