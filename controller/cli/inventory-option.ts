/**
 * `--inventory FILE` (else the config's `inventory:`): load it for the run, print its diagnostics
 * like a compiler, and refuse a file that cannot be read or has errors (exit 20). Only a run that
 * names an inventory loads the parser.
 */
import { isAbsolute, resolve } from 'node:path';
import type { CliIo } from '../../shared/cli-io.js';
import { ExitCode } from '../../shared/exit-codes.js';
import type { Inventory } from '../../shared/inventory/model.js';
import { formatDiagnostic, hasErrors, sortDiagnostics } from '../../shared/taskfile/diagnostics.js';
import type { TaskerArgs } from './tasker-args.js';
import type { Setup } from './tasker-main.js';

export interface RunInventory {
  inventory?: Inventory;
  hostTarget?: (hostname: string, execType: string) => string;
  /** Where host validation looks a hostname up and pings it: an inventory host's ansible_host. */
  hostAddress?: (hostname: string) => string;
  /** The run's secret values plus the inventory's secret-named variables, longest first. */
  withSecrets: (secrets: string[]) => string[];
}

export async function loadRunInventory(args: TaskerArgs, config: Setup['config'], io: CliIo, home: string): Promise<RunInventory | { exitCode: number }> {
  let path: string | undefined;
  let shown: string | undefined;
  if (args.inventory !== undefined) {
    path = isAbsolute(args.inventory) ? args.inventory : resolve(io.cwd, args.inventory);
    shown = args.inventory;
  } else if (config.data['inventory'] !== undefined) {
    const { inventoryFromConfig } = await import('../../shared/config/inventory-config.js');
    const fromConfig = inventoryFromConfig(config.data, config.path, home, config.positionOf);
    for (const d of fromConfig.diagnostics) io.stderr.write(`${formatDiagnostic(d, config.path ?? 'config')}\n`);
    if (hasErrors(fromConfig.diagnostics)) return { exitCode: ExitCode.VALIDATION_FAILED };
    path = fromConfig.path;
    shown = path;
  }
  if (path === undefined) return { withSecrets: (s) => s };
  const mod = await import('../../shared/inventory/index.js');
  const loaded = mod.loadInventory(path, shown);
  if (loaded.problem) {
    io.stderr.write(`tasker: error: inventory ${shown} ${loaded.problem.reason}${args.inventory !== undefined ? '' : ' (from the config\'s inventory:)'}\n`);
    return { exitCode: ExitCode.VALIDATION_FAILED };
  }
  for (const d of sortDiagnostics(loaded.diagnostics)) io.stderr.write(`${formatDiagnostic(d, shown!, loaded.lines)}\n`);
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
