import test from 'ava';
import { join } from 'node:path';
import { defaultConfig, loadConfig } from '../../../controller/parallelr/config.js';
import { REPO } from './helpers.js';

test('deploy/parallelr.example.yaml loads cleanly and holds exactly the defaults', (t) => {
  const loaded = loadConfig({ installation: join(REPO, 'deploy/parallelr.example.yaml'), user: '/nonexistent/parallelr.yaml' });
  t.deepEqual(loaded.diagnostics, []);
  t.deepEqual(loaded.files.map((f) => f.status), ['read', 'not found']);
  t.deepEqual(loaded.config, defaultConfig());
});

test('installation tier may raise caps; user tier is lowered to them and cannot touch security', async (t) => {
  const { mkdtempSync, writeFileSync } = await import('node:fs');
  const { tmpdir } = await import('node:os');
  const dir = mkdtempSync(join(tmpdir(), 'parallelr-cfg-'));
  writeFileSync(join(dir, 'inst.yaml'), 'limits:\n  max_allowed_workers: 200\n  max_workers: 150\nsecurity:\n  max_argument_length: 50\n');
  writeFileSync(join(dir, 'user.yaml'), 'limits:\n  max_workers: 500\n  max_allowed_workers: 900\n');
  const loaded = loadConfig({ installation: join(dir, 'inst.yaml'), user: join(dir, 'user.yaml') });
  t.is(loaded.config.limits.max_allowed_workers, 200);
  t.is(loaded.config.limits.max_workers, 200);
  t.is(loaded.config.security.max_argument_length, 50);
  t.deepEqual(
    loaded.diagnostics.map((d) => `${d.line}:${d.col} ${d.severity} ${d.message}`),
    [
      "3:3 warning 'limits.max_allowed_workers' can only be set in the installation config; ignored",
      '2:16 warning limits.max_workers 500 is above limits.max_allowed_workers (200); lowered to 200',
    ],
  );
});
