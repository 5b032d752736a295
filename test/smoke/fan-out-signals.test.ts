// Built bins running more than ten things at once under one stop signal print no Node warning: one
// listener per slot or thread is fan-out, not a leak (shared/when-aborted.ts, fanOutAbortController).
import test from 'ava';
import { spawn } from 'node:child_process';
import { mkdirSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { file, ROOT, spawnTasker, tempWith } from '../helpers/tasker.js';

const PARALLELR = join(ROOT, 'dist', 'controller', 'cli', 'parallelr.cjs');
const TASKER_DIR = join(ROOT, 'dist', 'controller', 'cli');
const NODE_WARNING = /Warning|memory leak/;
const AT_ONCE = 16;

function runParallelr(args: string[], home: string): Promise<{ code: number | null; out: string }> {
  return new Promise((resolve, reject) => {
    const child = spawn(PARALLELR, args, { env: { ...process.env, HOME: home, PATH: `${TASKER_DIR}:${process.env['PATH']}` } });
    let out = '';
    child.stdout.on('data', (c: Buffer) => (out += c.toString()));
    child.stderr.on('data', (c: Buffer) => (out += c.toString()));
    child.on('error', reject);
    child.on('close', (code) => resolve({ code, out }));
  });
}

test(`tasker: a parallel block of ${AT_ONCE} sub-tasks at once prints no warning`, async (t) => {
  const hosts = Array.from({ length: AT_ONCE }, (_, i) => `h${i + 1}`).join(',');
  const dir = tempWith({ 'block.txt': file('task=0', 'type=parallel', `max_parallel=${AT_ONCE}`, `hostnames=${hosts}`, 'command=sleep', 'arguments=0.3', 'exec=local') });
  const r = await spawnTasker(['-r', 'block.txt'], { cwd: dir, env: { HOME: dir } });
  t.is(r.code, 0, r.stderr);
  t.is(r.stdout.match(/Completed - Success: True/g)?.length, AT_ONCE);
  t.notRegex(r.stderr + r.stdout, NODE_WARNING);
});

for (const [what, command, content] of [
  ['processes', '/bin/sh @TASK@', 'sleep 0.3\n'],
  ['tasker files in-process', 'tasker -r @TASK@', file('task=0', 'hostname=localhost', 'command=sleep', 'arguments=0.3', 'exec=local')],
] as const) {
  test(`parallelr -m ${AT_ONCE}: ${what} ${AT_ONCE} at once print no warning`, async (t) => {
    const home = tempWith({});
    const tasks = join(home, 'tasks');
    mkdirSync(tasks);
    for (let i = 1; i <= AT_ONCE + 4; i++) writeFileSync(join(tasks, `t${i}.txt`), content);
    const r = await runParallelr(['-T', tasks, '-C', command, '-r', '-m', String(AT_ONCE)], home);
    t.is(r.code, 0, r.out);
    t.regex(r.out, new RegExp(`Completed Successfully: ${AT_ONCE + 4}\\n`));
    t.notRegex(r.out, NODE_WARNING);
  });
}
