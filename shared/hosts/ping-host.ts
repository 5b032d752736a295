import { runProcess } from '../exec/index.js';
import { findBinary } from '../exec/index.js';
import { lastLine } from './resolve-host.js';

/** `ping -c 1 -W 1 HOST`; undefined when the host answered, else why not. */
export async function pingHost(host: string, timeoutMs: number, env: NodeJS.ProcessEnv): Promise<string | undefined> {
  const ping = findBinary('ping', env['PATH']);
  if (!ping) return `the program 'ping' is not on PATH; install it (iputils-ping) or set host_validation.ping: false`;
  const r = await runProcess({ argv: [ping, '-c', '1', '-W', '1', host], env, timeoutMs, captureLimit: 64 * 1024 });
  if (r.exitCode === 0) return undefined;
  if (r.timedOut) return `ping of '${host}' timed out after ${timeoutMs / 1000} s`;
  const detail = lastLine(r.stderr) || lastLine(r.stdout);
  return `'${host}' does not answer ping (exit ${r.exitCode}${detail ? `: ${detail}` : ''})`;
}
