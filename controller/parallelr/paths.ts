import { existsSync, readFileSync } from 'node:fs';
import { homedir } from 'node:os';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';

/** Where one parallelr installation keeps its state for the current user. */
export interface ParallelrDirs {
  /** `~/parallelr` (or `~/ptasker`), overridable with PARALLELR_HOME. */
  home: string;
  logs: string;
  pids: string;
  workspace: string;
  backups: string;
  userConfig: string;
  installationConfig: string;
}

/** The directories for `name` (`parallelr` or `ptasker`) under the user's home. */
export function resolveDirs(env: NodeJS.ProcessEnv, name = 'parallelr'): ParallelrDirs {
  const home = env.PARALLELR_HOME || join(env.HOME || homedir(), name);
  return {
    home,
    logs: join(home, 'logs'),
    pids: join(home, 'pids'),
    workspace: join(home, 'workspace'),
    backups: join(home, 'backups'),
    userConfig: env.PARALLELR_USER_CONFIG || join(home, 'cfg', `${name}.yaml`),
    installationConfig: env.PARALLELR_SYSTEM_CONFIG || join(packageRoot(), 'cfg', `${name}.yaml`),
  };
}

let root: string | undefined;

/** The directory holding our package.json, found by walking up from this module (works from src and dist). */
export function packageRoot(): string {
  if (root) return root;
  let dir = dirname(fileURLToPath(import.meta.url));
  for (;;) {
    if (existsSync(join(dir, 'package.json'))) return (root = dir);
    const up = dirname(dir);
    if (up === dir) return (root = process.cwd());
    dir = up;
  }
}

/** The package version (for --version). */
export function packageVersion(): string {
  try {
    return (JSON.parse(readFileSync(join(packageRoot(), 'package.json'), 'utf8')) as { version?: string }).version ?? '0.0.0';
  } catch {
    return '0.0.0';
  }
}

/** The per-run file names: `parallelr_<PID>_<TS>.log`, `…_results.jsonl`, `…_output.txt`. */
export function sessionFiles(logsDir: string, pid: number, stamp: string) {
  const base = join(logsDir, `parallelr_${pid}_${stamp}`);
  return { mainLog: `${base}.log`, results: `${base}_results.jsonl`, output: `${base}_output.txt` };
}

const MONTHS = ['Jan', 'Feb', 'Mar', 'Apr', 'May', 'Jun', 'Jul', 'Aug', 'Sep', 'Oct', 'Nov', 'Dec'];

/** A small strftime: %Y %y %m %b %d %H %M %S %f %j %%, local time. */
export function formatTimestamp(date: Date, format: string): { text: string } | { error: string } {
  const pad = (n: number, w = 2) => String(n).padStart(w, '0');
  let out = '';
  for (let i = 0; i < format.length; i++) {
    const c = format[i]!;
    if (c !== '%') {
      out += c;
      continue;
    }
    const d = format[++i];
    switch (d) {
      case 'Y': out += String(date.getFullYear()); break;
      case 'y': out += pad(date.getFullYear() % 100); break;
      case 'm': out += pad(date.getMonth() + 1); break;
      case 'b': out += MONTHS[date.getMonth()]; break;
      case 'd': out += pad(date.getDate()); break;
      case 'H': out += pad(date.getHours()); break;
      case 'M': out += pad(date.getMinutes()); break;
      case 'S': out += pad(date.getSeconds()); break;
      case 'f': out += pad(date.getMilliseconds() * 1000, 6); break;
      case 'j': {
        const start = new Date(date.getFullYear(), 0, 1);
        out += pad(Math.floor((date.getTime() - start.getTime()) / 86400000) + 1, 3);
        break;
      }
      case '%': out += '%'; break;
      default:
        return { error: `unsupported directive '%${d ?? ''}' (supported: %Y %y %m %b %d %H %M %S %f %j %%)` };
    }
  }
  return { text: out };
}

/** Local ISO-like time with milliseconds, `2026-11-28T01:41:33.898` (the results file's time format). */
export function isoLocal(ms: number): string {
  const d = new Date(ms);
  const pad = (n: number, w = 2) => String(n).padStart(w, '0');
  return `${d.getFullYear()}-${pad(d.getMonth() + 1)}-${pad(d.getDate())}T${pad(d.getHours())}:${pad(d.getMinutes())}:${pad(d.getSeconds())}.${pad(d.getMilliseconds(), 3)}`;
}
