/**
 * Where a run's spill files (outputs past the capture limit) go: the TMPDIR of the run's own
 * environment (`io.env`), so a run started in-process with its own environment spills where a bin
 * started with that environment would. Undefined when it has none: the OS default (os.tmpdir()).
 */
export function spillDirOf(env: NodeJS.ProcessEnv): string | undefined {
  return env['TMPDIR'] || undefined;
}
