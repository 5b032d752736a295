/** The two static files of the console, served by the console itself (no CDN, no network). */
import { existsSync, readFileSync } from 'node:fs';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { CONSOLE_CSS } from './console-css.js';

// Set by scripts/bundle-cli.mjs: the browser bundle of web/console.ts, inlined into tasker-ui.cjs.
declare const __TASKER_CONSOLE_JS__: string | undefined;

let script: string | undefined;

/** The folder holding our package.json, walking up from this module (sources or dist). */
function packageRoot(): string {
  let dir = dirname(fileURLToPath(import.meta.url));
  while (!existsSync(join(dir, 'package.json')) && dirname(dir) !== dir) dir = dirname(dir);
  return dir;
}

function consoleScript(): string {
  if (script !== undefined) return script;
  if (typeof __TASKER_CONSOLE_JS__ === 'string') return (script = __TASKER_CONSOLE_JS__);
  try {
    // Run from the sources (tests through tsx): the copy the build wrote.
    return (script = readFileSync(join(packageRoot(), 'dist', 'console', 'console.js'), 'utf8'));
  } catch {
    return (script = '');
  }
}

export function consoleAsset(path: string): { type: string; body: string } | undefined {
  if (path === '/assets/console.css') return { type: 'text/css; charset=utf-8', body: CONSOLE_CSS };
  if (path === '/assets/console.js') return { type: 'text/javascript; charset=utf-8', body: consoleScript() };
  return undefined;
}
