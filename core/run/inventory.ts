/**
 * `--inventory FILE` (else the config's `inventory:`): load it for the run, print its diagnostics
 * like a compiler, and refuse a file that has errors (exit 20) or cannot be read (the bounded
 * reader's codes: 30 missing, 31 not a regular file or unreadable, 20 too large or not UTF-8).
 * Only a run that names an inventory loads the parser.
 */
import { isAbsolute, resolve } from 'node:path';
import type { CliIo } from '../../shared/cli-io.js';
import { ExitCode } from '../../shared/exit-codes.js';
import type { Inventory } from '../../shared/inventory/index.js';
import { exitCodeOfProblem } from '../../shared/input/index.js';
import type { InputLimits } from '../../shared/input/index.js';
import { formatDiagnostic, hasErrors } from '../../shared/taskfile/diagnostics.js';
import { formatDiagnosticList } from '../../shared/taskfile/diagnostic-list.js';
import type { TaskerArgs } from '../args/index.js';
import type { RunConfig } from './executor-setup.js';

export interface RunInventory {
  inventory?: Inventory;
  hostTarget?: (hostname: string, execType: string) => string;
  /** Where host validation looks a hostname up and pings it: an inventory host's ansible_host. */
  hostAddress?: (hostname: string) => string;
  /** The run's secret values plus the inventory's secret-named variables, longest first. */
  withSecrets: (secrets: string[]) => string[];
}

export async function loadRunInventory(args: TaskerArgs, config: RunConfig, io: CliIo, home: string, limits: InputLimits): Promise<RunInventory | { exitCode: number }> {
  let path: string | undefined;
  let shown: string | undefined;
  if (args.inventory !== undefined) {
    path = isAbsolute(args.inventory) ? args.inventory : resolve(io.cwd, args.inventory);
    shown = args.inventory;
  } else if (config.data['inventory'] !== undefined) {
    const { inventoryFromConfig } = await import('../../shared/config/index.js');
    const fromConfig = inventoryFromConfig(config.data, config.path, home, config.positionOf);
    for (const d of fromConfig.diagnostics) io.stderr.write(`${formatDiagnostic(d, config.path ?? 'config')}\n`);
    if (hasErrors(fromConfig.diagnostics)) return { exitCode: ExitCode.VALIDATION_FAILED };
    path = fromConfig.path;
    shown = path;
  }
  if (path === undefined) return { withSecrets: (s) => s };
  const mod = await import('../../shared/inventory/index.js');
  const loaded = mod.loadInventory(path, shown, limits);
  for (const text of formatDiagnosticList(loaded.diagnostics, shown!, loaded.lines, { all: args.allDiagnostics, allOption: '--all-diagnostics' })) io.stderr.write(`${text}\n`);
  if (loaded.problem) {
    // A problem inside the file was printed as a positioned diagnostic above.
    const from = args.inventory !== undefined ? '' : ' (from the config\'s inventory:)';
    const why = loaded.problem.line !== undefined ? 'cannot be read' : loaded.problem.reason;
    io.stderr.write(`tasker: error: inventory ${shown}${from} ${why}${loaded.problem.hint && loaded.problem.line === undefined ? `; ${loaded.problem.hint}` : ''}; nothing was run\n`);
    return { exitCode: exitCodeOfProblem(loaded.problem) };
  }
  if (hasErrors(loaded.diagnostics) || !loaded.inventory) {
    io.stderr.write(`tasker: error: the inventory ${shown} has errors; nothing was run\n`);
    return { exitCode: ExitCode.VALIDATION_FAILED };
  }
  const inventory = loaded.inventory;
  return {
    inventory,
    hostTarget: (hostname, execType) => mod.connectionTarget(inventory, hostname, execType),
    hostAddress: (hostname) => mod.connectionOfHost(inventory, hostname)?.address ?? hostname,
    withSecrets: (s) => [...new Set([...s, ...mod.inventorySecrets(inventory)])].sort((a, b) => b.length - a.length),
  };
}
