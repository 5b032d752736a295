// Built bin: npm pack must ship the built bins.
import test from 'ava';
import { spawnSync } from 'node:child_process';
import { existsSync, readFileSync } from 'node:fs';
import { join } from 'node:path';

const root = join(import.meta.dirname, '..');

/** The files `npm pack` would put in the package (no scripts run; lists what is on disk). */
function packedFiles(): string[] {
  const r = spawnSync('npm', ['pack', '--dry-run', '--json', '--ignore-scripts'], { cwd: root, encoding: 'utf8' });
  if (r.status !== 0) throw new Error(`npm pack --dry-run failed: ${r.stderr}`);
  return (JSON.parse(r.stdout) as { files: { path: string }[] }[])[0]!.files.map((f) => f.path);
}

test('npm pack ships dist/ (every bin), proto/, the launcher sources, deploy/, docs and README; no test/, bench/, .ci/ or sources', (t) => {
  t.true(existsSync(join(root, 'dist', 'agent', 'cli', 'tasker-agent.cjs')), 'needs a build (npm run build)');
  const files = packedFiles();
  const pkg = JSON.parse(readFileSync(join(root, 'package.json'), 'utf8')) as { bin: Record<string, string> };
  for (const bin of Object.values(pkg.bin)) t.true(files.includes(bin), `bin ${bin} is packed`);
  for (const f of ['package.json', 'README.md', 'proto/agent.proto', 'proto/health.proto', 'native/tasker-launch.c', 'scripts/build-native.sh', 'deploy/tasker-agent.service', 'docs/task-files.md']) {
    t.true(files.includes(f), `${f} is packed`);
  }
  const unwanted = files.filter((f) => /^(test|bench|\.ci|controller|agent|shared|examples|node_modules)\//.test(f) || f.startsWith('dist/native/') || f.endsWith('.tsbuildinfo'));
  t.deepEqual(unwanted, []);
});

test('the lockfile names the same bins as package.json', (t) => {
  const pkg = JSON.parse(readFileSync(join(root, 'package.json'), 'utf8')) as { bin: Record<string, string> };
  const lock = JSON.parse(readFileSync(join(root, 'package-lock.json'), 'utf8')) as { packages: Record<string, { bin?: Record<string, string> }> };
  t.deepEqual(lock.packages['']!.bin, pkg.bin);
});
