import { spawn, type ChildProcess } from 'node:child_process';

/**
 * The guard of children started with Node's spawn (no native launcher): a small Node process that
 * outlives us. We tell it on its stdin which process groups run ("+PID", "-PID" once a run
 * settled); when its stdin ends (we exited, or were SIGKILLed) it kills what is still listed:
 * each group and the processes /proc links to its leader, SIGTERM, then SIGKILL after a grace
 * period, as the native launcher does. It is started with the first such child, detached (a
 * terminal's ^C is ours to handle), and does not keep us alive.
 */

/** The watchdog's program, run with `node -e` so it needs no file of its own next to the bundle. */
const WATCHDOG_SOURCE = String.raw`
const fs = require('node:fs');
const GRACE_MS = 2000;
process.on('SIGINT', () => {});
process.on('SIGHUP', () => {});
const listed = new Set();
let buf = '';
process.stdin.setEncoding('latin1');
process.stdin.on('data', (d) => {
  buf += d;
  const lines = buf.split('\n');
  buf = lines.pop();
  for (const l of lines) {
    const pid = Number(l.slice(1));
    if (!Number.isInteger(pid) || pid <= 1) continue;
    if (l[0] === '+') listed.add(pid); else listed.delete(pid);
  }
});
process.stdin.on('error', () => {});
process.stdin.on('close', () => {
  if (listed.size === 0) process.exit(0);
  const known = new Map();
  const stat = (p) => { try { const t = fs.readFileSync('/proc/' + p + '/stat', 'latin1'); const f = t.slice(t.lastIndexOf(')') + 2).split(' '); return { state: f[0], ppid: Number(f[1]), start: f[19] }; } catch { return undefined; } };
  const collect = () => {
    const kids = new Map();
    for (const n of fs.readdirSync('/proc')) {
      if (!/^[1-9][0-9]*$/.test(n)) continue;
      const s = stat(n);
      if (!s) continue;
      if (!kids.has(s.ppid)) kids.set(s.ppid, []);
      kids.get(s.ppid).push([Number(n), s.start]);
    }
    const queue = [...listed];
    while (queue.length) for (const [p, start] of kids.get(queue.shift()) || []) if (!known.has(p)) { known.set(p, start); queue.push(p); }
  };
  const hit = (sig) => {
    collect();
    for (const g of listed) { try { process.kill(-g, sig); } catch {} }
    for (const [p, start] of known) { const s = stat(p); if (s && s.start === start && s.state !== 'Z') { try { process.kill(p, sig); } catch {} } else known.delete(p); }
  };
  const alive = () => [...listed].some((g) => { try { process.kill(-g, 0); return true; } catch { return false; } }) || [...known.keys()].some((p) => { const s = stat(p); return s && s.state !== 'Z'; });
  hit('SIGTERM');
  const deadline = Date.now() + GRACE_MS;
  const tick = () => {
    if (alive() && Date.now() < deadline) return setTimeout(tick, 50);
    hit('SIGKILL');
    process.exit(0);
  };
  tick();
});
`;

let watchdog: ChildProcess | undefined;
let failed = false;

function getWatchdog(): ChildProcess | undefined {
  if (watchdog || failed) return watchdog;
  try {
    const w = spawn(process.execPath, ['-e', WATCHDOG_SOURCE], {
      stdio: ['pipe', 'ignore', 'inherit'],
      detached: true,
      env: { PATH: process.env.PATH ?? '' },
    });
    w.on('error', () => {
      failed = true;
      if (watchdog === w) watchdog = undefined;
    });
    w.stdin!.on('error', () => undefined);
    w.unref();
    (w.stdin as unknown as { unref?(): void }).unref?.();
    watchdog = w;
  } catch {
    failed = true;
  }
  return watchdog;
}

/** Has the watchdog kill `pid`'s group and tree if we die before {@link releaseFromWatchdog}. */
export function watchOverChild(pid: number): void {
  getWatchdog()?.stdin!.write(`+${pid}\n`);
}

/** The run of `pid` settled: whatever it left behind is not the watchdog's to kill. */
export function releaseFromWatchdog(pid: number): void {
  watchdog?.stdin!.write(`-${pid}\n`);
}
