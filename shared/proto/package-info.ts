import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { packageRoot } from './load-proto.js';

let version: string | undefined;

/** The tasker package version (package.json), shared by the agent and the controller's version check. */
export function packageVersion(): string {
  version ??= (JSON.parse(readFileSync(join(packageRoot(), 'package.json'), 'utf8')) as { version: string }).version;
  return version;
}
