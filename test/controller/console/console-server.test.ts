import test from 'ava';
import { mkdirSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import type { AddressInfo } from 'node:net';
import { createConsoleServer } from '../../../controller/console/index.js';
import { makeBase, runTasker } from './console-helpers.js';

async function serve(base: string) {
  const c = createConsoleServer({ host: '127.0.0.1', port: 0, base });
  await new Promise<void>((resolve) => c.server.listen(0, '127.0.0.1', resolve));
  return { url: `http://127.0.0.1:${(c.server.address() as AddressInfo).port}`, close: () => c.close() };
}

test('read-only: other methods get 405, unknown runs 404, a malformed task key 400', async (t) => {
  const base = makeBase();
  runTasker(base, 'ok.txt', 'task=0\nhostname=localhost\ncommand=echo\narguments=hi\nexec=local\n');
  const s = await serve(base);
  try {
    t.is((await fetch(`${s.url}/`, { method: 'POST' })).status, 405);
    t.is((await fetch(`${s.url}/run/nosuchrun`)).status, 404);
    const html = await (await fetch(`${s.url}/`)).text();
    const id = /href="\/run\/([^"]+)"/.exec(html)![1]!;
    t.is((await fetch(`${s.url}/run/${id}/log?task=0`)).status, 200);
    t.is((await fetch(`${s.url}/run/${id}/log?task=(a%2B)%2B`)).status, 400);
    const page = await fetch(`${s.url}/run/${id}`);
    t.regex(page.headers.get('content-security-policy') ?? '', /default-src 'self'/);
  } finally {
    await s.close();
  }
});

test('a summary row naming a log outside BASE is listed, but that file is never read', async (t) => {
  const base = makeBase();
  const outside = join(makeBase(), 'private.log');
  writeFileSync(outside, '=== Task Execution Start: x ===\n[x] Task 0: Executing [local]: cat /etc/secret-stuff\n');
  mkdirSync(join(base, 'logs'));
  writeFileSync(join(base, 'logs', 'project_ops_summary.log'), `#Timestamp\tTask_File\tFinal_Task_ID\tFinal_Hostname\tFinal_Command\tExit_Code\tStatus\tLog_File\n2026-12-06 08:00:00\t/srv/x.txt\t0\th\tc\t0\tSUCCESS\t${outside}\n`);
  const s = await serve(base);
  try {
    const list = await (await fetch(`${s.url}/`)).text();
    t.regex(list, /\/srv\/x\.txt/);
    const id = /href="\/run\/([^"]+)"/.exec(list)![1]!;
    const page = await (await fetch(`${s.url}/run/${id}`)).text();
    t.false(page.includes('secret-stuff'));
    t.is((await fetch(`${s.url}/run/${id}/log`)).status, 200);
    t.false((await (await fetch(`${s.url}/run/${id}/log`)).text()).includes('secret-stuff'));
  } finally {
    await s.close();
  }
});
