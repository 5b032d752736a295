/** The execution plan, printed for a dry run and before --show-plan asks for confirmation. */
import type { CliIo } from '../../shared/cli-io.js';
import { ExitCode } from '../../shared/exit-codes.js';
import { escapeControlChars } from '../../shared/text/index.js';
import { buildPlan, formatPlan } from '../engine/plan.js';
import type { ValidatedRun } from './types.js';

export function printPlan(run: ValidatedRun): void {
  const { args, io, workflow, execTypes } = run;
  const steps = buildPlan(workflow, {
    defaultExecType: execTypes.defaultName, canonicalExecType: execTypes.canonical, describeCommand: execTypes.describeCommand,
    startFrom: args.startFrom, env: io.env, hostTarget: run.hostTarget,
  });
  const plan = formatPlan(workflow, steps, args.taskFile!);
  io.stdout.write(args.rawOutput ? plan : escapeControlChars(plan));
}

/** --graph mermaid|dot|svg: the workflow's routing as a graph, nothing run. */
export async function printGraph(run: ValidatedRun, format: string): Promise<number> {
  const { io, workflow } = run;
  const { toDot, toMermaid } = await import('../engine/graph.js');
  if (format === 'mermaid') io.stdout.write(toMermaid(workflow));
  else if (format === 'dot') io.stdout.write(toDot(workflow));
  else return renderSvg(toDot(workflow), io);
  return ExitCode.SUCCESS;
}

async function renderSvg(dot: string, io: CliIo): Promise<number> {
  const { findBinary } = await import('../../shared/exec/index.js');
  if (!findBinary('dot', io.env['PATH'])) {
    io.stderr.write('tasker: error: --graph svg needs Graphviz `dot`, which is not on PATH; install it (Debian: apt-get install graphviz) or use --graph dot\n');
    return ExitCode.USAGE;
  }
  const { spawnSync } = await import('node:child_process');
  const r = spawnSync('dot', ['-Tsvg'], { input: dot, encoding: 'utf8' });
  if (r.status !== 0) {
    io.stderr.write(`tasker: error: dot failed: ${r.stderr}\n`);
    return ExitCode.ERROR;
  }
  io.stdout.write(r.stdout);
  return ExitCode.SUCCESS;
}
