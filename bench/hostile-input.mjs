#!/usr/bin/env node
// Hostile input against the built `tasker` bin (issue 13): each case runs
// `dist/controller/cli/tasker.cjs --validate-only FILE` once and prints the exit code, wall time,
// peak RSS and stderr bytes against the bars of SPEC §4 (≤ 2 s, ≤ 300 MB, ≤ 64 KiB).
// Usage: npm run build && npm run bench:hostile     (exits 1 when a case misses a bar)
import { execFileSync, spawn } from 'node:child_process';
import { existsSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';

const root = join(dirname(fileURLToPath(import.meta.url)), '..');
const tasker = join(root, 'dist', 'controller', 'cli', 'tasker.cjs');
const BARS = { seconds: 2, rssMB: 300, stderrBytes: 64 * 1024 };
const dir = mkdtempSync(join(tmpdir(), 'tasker-hostile-'));
const HEAD = 'task=0\nhostname=localhost\nexec=local\ncommand=echo\n';

function write(name, ...parts) {
  const path = join(dir, name);
  writeFileSync(path, parts.join(''));
  return path;
}

/** Peak RSS from /proc/PID/status (VmHWM), polled until the process exits. */
function run(file) {
  return new Promise((resolve) => {
    const start = process.hrtime.bigint();
    const child = spawn(tasker, ['--validate-only', file], { cwd: dir, stdio: ['ignore', 'ignore', 'pipe'] });
    let stderrBytes = 0;
    let firstLine = '';
    child.stderr.on('data', (c) => {
      if (stderrBytes === 0) firstLine = c.toString('utf8').split('\n')[0];
      stderrBytes += c.length;
    });
    let peakKB = 0;
    // The bin is `#!/usr/bin/env … node`: env execs node in the same process, so the PID is node's.
    const poll = setInterval(() => {
      try {
        const m = /VmHWM:\s+(\d+) kB/.exec(readFileSync(`/proc/${child.pid}/status`, 'utf8'));
        if (m) peakKB = Math.max(peakKB, Number(m[1]));
      } catch {
        /* exited */
      }
    }, 5);
    child.on('close', (code, signal) => {
      clearInterval(poll);
      resolve({ code: code ?? signal, seconds: Number(process.hrtime.bigint() - start) / 1e9, rssMB: peakKB / 1024, stderrBytes, firstLine });
    });
  });
}

const fifo = join(dir, 'fifo.txt');
execFileSync('mkfifo', [fifo]);
const cases = [
  ['/dev/zero', '/dev/zero', 31],
  ['a FIFO nobody writes to', fifo, 31],
  ['a 50 MB single-line file', write('line50.txt', 'a'.repeat(50 * 1000 * 1000)), 20],
  ['a 10 MB line', write('line10.txt', HEAD, 'arguments=', 'a'.repeat(10 * 1000 * 1000), '\n'), 20],
  ['100k-level nested parentheses', write('nest.txt', HEAD, 'success=', '('.repeat(100_000), 'exit_0', ')'.repeat(100_000), '\n'), 20],
  ['a 1 MB line of "!"', write('bang.txt', HEAD, 'success=', '!'.repeat(1000 * 1000), '\n'), 20],
  ['16 MB of junk lines', write('junk.txt', 'x\n'.repeat(8 * 1000 * 1000)), 20],
  ['16 tasks, each a 1 MB condition of "a&"', write('amp.txt', Array.from({ length: 16 }, (_, i) => `task=${i}\nhostname=localhost\nexec=local\ncommand=echo\nsuccess=${'a&'.repeat(480_000)}a\n`).join('')), 20],
];

const missed = [];
console.log(`tasker --validate-only on hostile input (${new Date().toISOString()}, load ${(await import('node:os')).loadavg()[0].toFixed(2)})`);
console.log('case                                     exit  wall s  peak RSS MB  stderr B  bars');
for (const [name, file, expected] of cases) {
  const r = await run(file);
  const misses = [
    r.code !== expected ? `exit ${expected}` : '',
    r.seconds > BARS.seconds ? 'time' : '',
    r.rssMB > BARS.rssMB ? 'RSS' : '',
    r.stderrBytes > BARS.stderrBytes ? 'stderr' : '',
  ].filter(Boolean);
  if (misses.length) missed.push(name);
  console.log(`${name.padEnd(40)} ${String(r.code).padStart(4)}  ${r.seconds.toFixed(2).padStart(6)}  ${r.rssMB.toFixed(0).padStart(11)}  ${String(r.stderrBytes).padStart(8)}  ${misses.length ? `MISSED: ${misses.join(', ')}` : 'ok'}`);
  console.log(`${''.padEnd(40)} ${r.firstLine.slice(0, 110)}`);
}
console.log(`bars: exit 20/31, ≤ ${BARS.seconds} s, ≤ ${BARS.rssMB} MB peak RSS, ≤ ${BARS.stderrBytes} bytes of stderr`);
rmSync(dir, { recursive: true, force: true });
if (missed.length) {
  console.log(`missed: ${missed.join(', ')}`);
  process.exitCode = 1;
}
if (!existsSync(tasker)) console.log('(build first: npm run build)');
