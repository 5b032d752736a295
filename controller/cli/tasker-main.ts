/**
 * `tasker` as a function: `runTasker(argv, io)` returns the exit code. The command line is parsed
 * and the run carried out by the typed pipeline in core/run/ (load → validate → preflight →
 * execute → record), with the controller's placement of tasks on agents and over SSH.
 */
import type { CliIo } from '../../shared/cli-io.js';
import { runTaskerWith } from '../../core/run/index.js';
import { remotePlacement } from '../executors/index.js';

export function runTasker(argv: readonly string[], io: CliIo): Promise<number> {
  return runTaskerWith(argv, io, { remote: remotePlacement });
}
