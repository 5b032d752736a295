import test from 'ava';
import { spawn } from 'node:child_process';
import { fileURLToPath } from 'node:url';

const PROBE = fileURLToPath(new URL('./fixtures/tier-up-probe.mjs', import.meta.url));

/** Whether V8 optimized a small function called `calls` times, with or without tierUpSooner(). */
function probe(mode: 'sooner' | 'default', calls: number): Promise<boolean> {
  return new Promise((resolve, reject) => {
    const child = spawn(process.execPath, ['--allow-natives-syntax', '--import', 'tsx', PROBE, mode, String(calls)], { stdio: ['ignore', 'pipe', 'pipe'] });
    let out = '';
    let err = '';
    child.stdout.on('data', (d) => (out += d));
    child.stderr.on('data', (d) => (err += d));
    child.on('error', reject);
    child.on('close', (code) => {
      if (code !== 0) return reject(new Error(`probe exited ${code}: ${err}`));
      resolve((JSON.parse(out) as { turbofanned: boolean }).turbofanned);
    });
  });
}

// V8's defaults optimize this function after about 120 calls, tierUpSooner() after about 30.
test('a NATS worker optimizes hot code sooner: 60 calls are enough with tierUpSooner(), not without', async (t) => {
  t.false(await probe('default', 60), 'V8 defaults: still unoptimized after 60 calls');
  t.true(await probe('sooner', 60), 'tierUpSooner(): optimized by TurboFan after 60 calls');
});

test('with either setting the function is optimized once it is hot enough (the probe can see optimization)', async (t) => {
  t.true(await probe('default', 2000));
  t.true(await probe('sooner', 2000));
});
