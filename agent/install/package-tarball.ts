import { execFile } from 'node:child_process';
import { existsSync } from 'node:fs';
import { mkdtemp } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { promisify } from 'node:util';
import { SetupError } from '../../shared/errors/index.js';

const run = promisify(execFile);

/** The bundled agent (scripts/bundle-cli.mjs): its npm packages are inside, so no node_modules travels. */
export const AGENT_BUNDLE = join('dist', 'agent', 'cli', 'tasker-agent.cjs');

/**
 * What the agent package holds, relative to the package root: the bundle and its two-line `.js`
 * loader, proto/, package.json, the systemd unit (and its opt-in hardening drop-in), and the C
 * sources of the process launcher with their build script (built on the host itself, so nothing
 * shipped depends on the controller's architecture).
 */
export const AGENT_PACKAGE_PARTS: readonly string[] = [
  'package.json',
  AGENT_BUNDLE,
  join('dist', 'agent', 'cli', 'tasker-agent.js'),
  'proto',
  'deploy/tasker-agent.service',
  'deploy/tasker-agent.service.d',
  'native',
  'scripts/build-native.sh',
];

/** Build the agent package as one .tgz (tar via argv, no shell). Needs a build (`npm run build`). */
export async function buildAgentTarball(root: string): Promise<string> {
  if (!existsSync(join(root, AGENT_BUNDLE))) {
    throw new SetupError(`${join(root, 'dist')} has no agent bundle (${AGENT_BUNDLE}); run \`npm run build\` first`);
  }
  const dir = await mkdtemp(join(tmpdir(), 'tasker-agent-pkg-'));
  const file = join(dir, 'tasker-agent.tgz');
  await run('tar', ['-czf', file, '-C', root, ...AGENT_PACKAGE_PARTS], { maxBuffer: 16 * 1024 * 1024 });
  return file;
}
