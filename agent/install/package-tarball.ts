import { execFile } from 'node:child_process';
import { existsSync, readFileSync } from 'node:fs';
import { mkdtemp } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { promisify } from 'node:util';

const run = promisify(execFile);

/**
 * Top-level production packages from package-lock.json (dev-only ones left out); nested
 * `node_modules` of a package travel inside its directory.
 */
export function productionModules(root: string): string[] {
  const lock = JSON.parse(readFileSync(join(root, 'package-lock.json'), 'utf8')) as {
    packages: Record<string, { dev?: boolean; devOptional?: boolean }>;
  };
  return Object.entries(lock.packages)
    .filter(([path, p]) => path.startsWith('node_modules/') && !p.dev && !p.devOptional)
    .map(([path]) => path)
    .filter((path) => path.split('node_modules/').length === 2 && existsSync(join(root, path)));
}

/**
 * Build the agent package: dist/, proto/, package.json, the systemd unit (and its opt-in hardening drop-in) and production
 * node_modules as one .tgz (tar via argv, no shell). Needs a build (`npm run build`).
 */
export async function buildAgentTarball(root: string): Promise<string> {
  if (!existsSync(join(root, 'dist', 'agent', 'cli', 'tasker-agent.js'))) {
    throw new Error(`${join(root, 'dist')} has no agent build; run \`npm run build\` first`);
  }
  const dir = await mkdtemp(join(tmpdir(), 'tasker-agent-pkg-'));
  const file = join(dir, 'tasker-agent.tgz');
  const parts = ['package.json', 'dist', 'proto', 'deploy/tasker-agent.service', 'deploy/tasker-agent.service.d', ...productionModules(root)];
  if (existsSync(join(root, 'package-lock.json'))) parts.push('package-lock.json');
  await run('tar', ['-czf', file, '-C', root, ...parts], { maxBuffer: 16 * 1024 * 1024 });
  return file;
}
