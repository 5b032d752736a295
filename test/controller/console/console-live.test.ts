import test from 'ava';
import { spawn } from 'node:child_process';
import { mkdirSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { killWithTestProcess } from '../../helpers/child-cleanup.js';
import { BIN, launchBrowser, makeBase, startConsole } from './console-helpers.js';

test('a live parallelr run advances on its page without a reload (Server-Sent Events)', async (t) => {
  const base = makeBase();
  const tasks = join(base, 'src');
  mkdirSync(tasks);
  // Each task waits for its own gate: the run is still running when the page opens, however loaded
  // the machine (a run of fixed length once finished first in CI), and advances when the test says.
  const gate = gates(base);
  for (let i = 1; i <= 6; i++) writeFileSync(join(tasks, `t${i}.sh`), gate.waitFor(`t${i}`));
  const ui = await startConsole(base);
  const browser = await launchBrowser();
  const pr = spawn(process.execPath, [BIN.parallelr, '-T', tasks, '--file-extension', 'sh', '-C', '/bin/sh @TASK@', '-m', '1', '-r', '-q', '--no-backup-inputs'], {
    env: { ...process.env, PARALLELR_HOME: join(base, 'parallelr') }, stdio: 'ignore',
  });
  killWithTestProcess(pr);
  try {
    const page = await browser.newPage();
    await page.goto(`${ui.url}live`);
    // The Live page reloads itself when a run it does not show starts.
    await page.waitForSelector('.card[data-status="running"] a', { timeout: 20_000 });
    await Promise.all([page.waitForNavigation(), page.click('.card[data-status="running"] a')]);
    await page.waitForSelector('dl.facts[data-status="running"] .progress .done', { timeout: 10_000 });
    const marker = await page.evaluate(() => ((window as unknown as { marker: number }).marker = Math.random()));
    const first = Number(await page.$eval('dl.facts .progress .done', (e) => e.textContent));
    t.is(first, 0);
    gate.open('t1');
    await page.waitForFunction((n) => Number(document.querySelector('dl.facts .progress .done')?.textContent) > n, { timeout: 20_000 }, first);
    for (let i = 2; i <= 6; i++) gate.open(`t${i}`);
    await page.waitForFunction(() => document.querySelector('dl.facts')?.getAttribute('data-status') === 'success', { timeout: 30_000 });
    const last = await page.$eval('dl.facts .progress .label', (e) => e.textContent);
    t.is(last, '6/6');
    // Same document all along: the numbers came through /events, not a reload.
    t.is(await page.evaluate(() => (window as unknown as { marker: number }).marker), marker);
  } finally {
    pr.kill('SIGTERM');
    await browser.close();
    await ui.stop();
  }
});

test('a running tasker run shows its progress live, then its graph once it ends', async (t) => {
  const base = makeBase();
  const file = join(base, 'slow.txt');
  const gate = gates(base);
  const task = (id: number) => `task=${id}\nhostname=localhost\ncommand=/bin/sh\narguments=${gate.script} g${id}\nexec=local\n`;
  writeFileSync(file, [0, 1, 2, 3, 4].map(task).join('\n'));
  const ui = await startConsole(base);
  const browser = await launchBrowser();
  const run = spawn(process.execPath, [BIN.tasker, '-r', '-l', base, file], { stdio: 'ignore' });
  killWithTestProcess(run);
  try {
    const page = await browser.newPage();
    await page.goto(`${ui.url}live`);
    // Once the index has read the run's task count (its card shows progress), open its page.
    await page.waitForSelector('.card[data-status="running"] .progress .done', { timeout: 20_000 });
    await Promise.all([page.waitForNavigation(), page.click('.card[data-status="running"] a')]);
    await page.waitForSelector('dl.facts .progress .done', { timeout: 10_000 });
    const first = Number(await page.$eval('dl.facts .progress .done', (e) => e.textContent));
    t.is(first, 0);
    gate.open('g0');
    await page.waitForFunction((n) => Number(document.querySelector('dl.facts .progress .done')?.textContent) > n, { timeout: 20_000 }, first);
    for (let i = 1; i <= 4; i++) gate.open(`g${i}`);
    // When the run ends the page shows it again as recorded: success, every task green.
    await page.waitForFunction(() => document.querySelector('dl.facts')?.getAttribute('data-status') === 'success', { timeout: 30_000 });
    await page.waitForSelector('svg.graph g.node.task.ok[data-task="4"]', { timeout: 10_000 });
    const states = await page.$$eval('svg.graph g.node.task', (gs) => gs.map((g) => g.getAttribute('class')));
    t.true(states.every((c) => c!.endsWith(' ok')), states.join(' | '));
  } finally {
    run.kill('SIGTERM');
    await browser.close();
    await ui.stop();
  }
});

/** Gates for tasks: `waitFor(name)` is a script body that waits until `open(name)`; `script` takes the name as $1. */
function gates(base: string) {
  const dir = join(base, 'gates');
  mkdirSync(dir);
  const script = join(base, 'wait-gate.sh');
  writeFileSync(script, `while [ ! -e '${dir}'/"$1" ]; do sleep 0.05; done\n`);
  return {
    script,
    waitFor: (name: string) => `while [ ! -e '${dir}/${name}' ]; do sleep 0.05; done\n`,
    open: (name: string) => writeFileSync(join(dir, name), ''),
  };
}
