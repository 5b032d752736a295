import { connectivityArgv, type ExecType } from '../exec/index.js';
import { findBinary, missingBinaryMessage } from '../exec/index.js';
import { runProcess } from '../exec/index.js';
import { lastLine } from './resolve-host.js';

/**
 * Run an exec type's connectivity test against a host (`pbrun -n -h H pbtest`): the exit code must
 * match and stdout must contain the expected text. Undefined when it passes, else why not.
 */
export async function testConnectivity(
  type: ExecType,
  host: string,
  env: NodeJS.ProcessEnv,
  timeoutOverrideMs?: number,
): Promise<string | undefined> {
  const test = type.connectivityTest;
  if (!test) return undefined;
  if (type.binary && !findBinary(type.binary, env['PATH'])) return missingBinaryMessage(type.name, type.binary);
  const built = connectivityArgv(type, host);
  if (built.error) return `exec type '${type.name}': connectivity test cannot be built: ${built.error}`;
  const timeoutMs = timeoutOverrideMs ?? test.timeoutSec * 1000;
  const r = await runProcess({ argv: built.argv, env, timeoutMs, killGraceMs: 500, captureLimit: 256 * 1024 });
  const shown = built.argv.join(' ');
  if (r.timedOut) return `connectivity test \`${shown}\` timed out after ${timeoutMs / 1000} s`;
  if (r.spawnError) return `connectivity test \`${shown}\` could not run: ${r.spawnError}`;
  if (r.exitCode !== test.expectedExit) {
    const detail = lastLine(r.stderr) || lastLine(r.stdout);
    return `connectivity test \`${shown}\` exited ${r.exitCode}, expected ${test.expectedExit}${detail ? `: ${detail}` : ''}`;
  }
  if (test.expectedOutput && !r.stdout.includes(test.expectedOutput)) {
    return `connectivity test \`${shown}\` did not print '${test.expectedOutput}' (stdout: '${lastLine(r.stdout)}')`;
  }
  return undefined;
}
