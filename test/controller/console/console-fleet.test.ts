import test from 'ava';
import { spawn } from 'node:child_process';
import { mkdirSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { startAgent } from '../../helpers/agent-process.js';
import { killWithTestProcess } from '../../helpers/child-cleanup.js';
import { startNatsServer } from '../../helpers/nats-server.js';
import { startWorker } from '../../nats/fleet.js';
import { BIN, launchBrowser, makeBase, startConsole } from './console-helpers.js';

test('the Fleet page shows a configured agent (Health, Info over gRPC) and a NATS worker by its heartbeat; a distributed run shows its agent slots live', async (t) => {
  const base = makeBase();
  const nats = await startNatsServer();
  const sock = join(base, 'agent.sock');
  const agent = await startAgent(['--listen', `unix:${sock}`]);
  const worker = await startWorker(nats.url, { name: 'console-w1', pool: 'ui', max: 2 });
  const config = join(base, 'tasker.yaml');
  writeFileSync(config, `agents:\n  jump1:\n    address: unix:${sock}\n`);
  const ui = await startConsole(base, ['--config', config, '--nats', nats.url]);
  const browser = await launchBrowser();
  try {
    const page = await browser.newPage();
    await page.goto(`${ui.url}fleet`);
    const agentRow = await page.$eval('tr[data-agent="jump1"]', (tr) => [...tr.children].map((td) => td.textContent!.trim()));
    t.is(agentRow[1], 'SERVING');
    t.is(agentRow[2], '0.1.0');
    // The worker's first heartbeat went out before the console subscribed; the next comes within 5 s.
    await page.waitForFunction(async () => {
      const html = await (await fetch('/fleet')).text();
      return html.includes('data-worker="console-w1"');
    }, { timeout: 15_000, polling: 500 });
    await page.reload();
    const workerRow = await page.$eval('tr[data-worker="console-w1"]', (tr) => [...tr.children].map((td) => td.textContent!.trim()));
    t.is(workerRow[1], 'alive');
    t.is(workerRow[2], 'ui');
    t.is(workerRow[4], '0/2');
    t.is(workerRow.at(-1), 'heartbeat');
    if (process.env.TASKER_UI_SCREENSHOTS) {
      await page.setViewport({ width: 1150, height: 420 });
      await page.screenshot({ path: join(import.meta.dirname, '..', '..', '..', 'docs', 'console-fleet.png') });
    }

    // A distributed run: its state file and results are under BASE; its busy slots come from NATS.
    const tasks = join(base, 'jobs');
    mkdirSync(tasks);
    for (let i = 1; i <= 6; i++) writeFileSync(join(tasks, `j${i}.sh`), 'sleep 1\n');
    const env = { ...process.env, PARALLELR_HOME: join(base, 'parallelr'), TASKER_NATS_STATE_DIR: join(base, 'parallelr', 'runs'), TASKER_NATS_ACK_WAIT: '5' };
    const pr = spawn(process.execPath, [BIN.parallelr, '-T', tasks, '-C', '/bin/sh @TASK@', '-r', '-q', '--nats', nats.url, '--pool', 'ui'], { env, stdio: 'ignore' });
    killWithTestProcess(pr);
    const exited = new Promise((r) => pr.once('exit', r));
    await page.goto(`${ui.url}live`);
    await page.waitForSelector('.card[data-status="running"]', { timeout: 20_000 });
    await page.waitForFunction(() => [...document.querySelectorAll('.card .slots li')].some((li) => li.textContent!.includes('console-w1 slot')), { timeout: 20_000 });
    const slots = await page.$$eval('.card .slots li', (lis) => lis.map((li) => li.textContent!));
    t.true(slots.some((s) => /^console-w1 slot [12] job \d+$/.test(s)), slots.join(' | '));
    await page.waitForFunction(() => document.querySelector('.card .agents li') !== null, { timeout: 10_000 });
    t.regex(await page.$eval('.card .agents li', (li) => li.textContent!), /^console-w1: [12]\/2 busy, load \d+\.\d\d$/);
    t.is(await exited, 0);
    // The index rescans BASE every second: the run's end shows on a page loaded after that.
    const topRow = async () => {
      await page.goto(ui.url);
      return page.$eval('table.runs tbody tr', (tr) => ({ status: (tr as HTMLElement).dataset.status, file: tr.querySelector('td.file')!.textContent, progress: tr.querySelector('.progress .label')?.textContent }));
    };
    let row = await topRow();
    for (let i = 0; i < 20 && row.status === 'running'; i++) {
      await new Promise((r) => setTimeout(r, 500));
      row = await topRow();
    }
    t.is(row.status, 'success', JSON.stringify(row));
    t.regex(row.file!, /NATS run .*pool ui/);
    t.is(row.progress, '6/6');
  } finally {
    await browser.close();
    await ui.stop();
    await worker.stop();
    await agent.stop();
    await nats.dispose();
  }
});
