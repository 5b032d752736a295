import test from 'ava';
import { existsSync, mkdirSync, mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { configCandidates, loadConfig, parseConfigText } from '../../../shared/config/load-config.js';
import { formatDiagnostic } from '../../../shared/taskfile/diagnostics.js';

const root = mkdtempSync(join(tmpdir(), 'tasker-config-'));
test.after.always(() => rmSync(root, { recursive: true, force: true }));

let n = 0;
/** A fresh cwd and home, each with the given files. */
function layout(files: Record<string, string>) {
  const base = join(root, String(n++));
  const cwd = join(base, 'cwd');
  const home = join(base, 'home');
  mkdirSync(cwd, { recursive: true });
  mkdirSync(home, { recursive: true });
  for (const [rel, text] of Object.entries(files)) {
    const path = join(base, rel);
    mkdirSync(join(path, '..'), { recursive: true });
    writeFileSync(path, text);
  }
  return { base, cwd, home };
}

test('search order: --config, then $TASKER_CONFIG, then ./tasker.yaml, ./cfg/execution_types.yaml, ~/.config, /etc', (t) => {
  const { cwd, home } = { cwd: '/w', home: '/h' };
  t.deepEqual(
    configCandidates({ env: {}, cwd, home }).map((c) => c.path),
    ['/w/tasker.yaml', '/w/cfg/execution_types.yaml', '/h/.config/tasker/tasker.yaml', '/etc/tasker/tasker.yaml'],
  );
  t.deepEqual(configCandidates({ env: { TASKER_CONFIG: 'e.yaml' }, cwd, home }), [{ path: '/w/e.yaml', required: true }]);
  t.deepEqual(configCandidates({ explicitPath: '/x.yaml', env: { TASKER_CONFIG: 'e.yaml' }, cwd, home }), [
    { path: '/x.yaml', required: true },
  ]);
});

test('first file found wins, without merging', (t) => {
  const l = layout({
    'cwd/cfg/execution_types.yaml': 'default_exec_type: p7s\n',
    'home/.config/tasker/tasker.yaml': 'default_exec_type: wwrs\ndefault_timeout: 60\n',
  });
  const c = loadConfig({ env: {}, cwd: l.cwd, home: l.home });
  t.is(c.path, join(l.cwd, 'cfg', 'execution_types.yaml'));
  t.deepEqual(c.data, { default_exec_type: 'p7s' });
  t.deepEqual(c.diagnostics, []);

  const home = loadConfig({ env: {}, cwd: join(l.base, 'home'), home: l.home });
  t.is(home.path, join(l.home, '.config', 'tasker', 'tasker.yaml'));
  t.is(home.data['default_timeout'], 60);

  writeFileSync(join(l.cwd, 'tasker.yaml'), 'default_exec_type: local\n');
  t.is(loadConfig({ env: {}, cwd: l.cwd, home: l.home }).path, join(l.cwd, 'tasker.yaml'));
  writeFileSync(join(l.base, 'env.yaml'), 'default_exec_type: shell\n');
  const env = loadConfig({ env: { TASKER_CONFIG: join(l.base, 'env.yaml') }, cwd: l.cwd, home: l.home });
  t.deepEqual(env.data, { default_exec_type: 'shell' });
  const explicit = loadConfig({ explicitPath: '../env.yaml', env: {}, cwd: l.cwd, home: l.home });
  t.is(explicit.path, join(l.base, 'env.yaml'));
});

test('no config anywhere: empty data and no diagnostics', (t) => {
  const l = layout({});
  const c = loadConfig({ env: {}, cwd: l.cwd, home: l.home });
  const etc = '/etc/tasker/tasker.yaml';
  t.is(c.path, existsSync(etc) ? etc : undefined);
  if (!existsSync(etc)) t.deepEqual(c.data, {});
  t.deepEqual(c.diagnostics, []);
});

test('a named file that does not exist is an error naming where it came from', (t) => {
  const l = layout({});
  const a = loadConfig({ explicitPath: 'nope.yaml', env: {}, cwd: l.cwd, home: l.home });
  t.deepEqual(a.diagnostics.map((d) => [d.code, d.message]), [
    ['CONFIG_NOT_FOUND', `config file ${join(l.cwd, 'nope.yaml')} (from --config) does not exist`],
  ]);
  const b = loadConfig({ env: { TASKER_CONFIG: '/nonexistent/t.yaml' }, cwd: l.cwd, home: l.home });
  t.is(b.diagnostics[0]!.message, 'config file /nonexistent/t.yaml (from TASKER_CONFIG) does not exist');
});

test('a directory named as the config file is a diagnostic naming what it is, not an exception', (t) => {
  const l = layout({});
  mkdirSync(join(l.cwd, 'dir.yaml'));
  const c = loadConfig({ explicitPath: 'dir.yaml', env: {}, cwd: l.cwd, home: l.home });
  t.deepEqual(c.diagnostics.map((d) => [d.code, d.message]), [
    ['CONFIG_UNREADABLE', `config file ${join(l.cwd, 'dir.yaml')} (from --config) is a directory, not a regular file`],
  ]);
  t.is(c.problem?.kind, 'not-regular');
});

test('a device named as the config file is refused without reading it', (t) => {
  const l = layout({});
  const c = loadConfig({ explicitPath: '/dev/zero', env: {}, cwd: l.cwd, home: l.home });
  t.deepEqual(c.diagnostics.map((d) => [d.code, d.message]), [
    ['CONFIG_UNREADABLE', 'config file /dev/zero (from --config) is a character device, not a regular file'],
  ]);
});

test('invalid UTF-8 and over-long lines in a config are positioned errors', (t) => {
  const l = layout({});
  const latin1 = join(l.cwd, 'latin1.yaml');
  writeFileSync(latin1, Buffer.from('log_dir: /tmp\nexec_types:\n  caf\xe9: {}\n', 'latin1'));
  const a = loadConfig({ explicitPath: latin1, env: {}, cwd: l.cwd, home: l.home });
  t.deepEqual(a.diagnostics.map((d) => [d.code, d.line, d.col]), [['INVALID_UTF8', 3, 6]]);
  const long = join(l.cwd, 'long.yaml');
  writeFileSync(long, `log_dir: ${'x'.repeat(2000)}\n`);
  const b = loadConfig({ explicitPath: long, env: {}, cwd: l.cwd, home: l.home, limits: { maxFileBytes: 1_000_000, maxLineBytes: 1024 } });
  t.deepEqual(b.diagnostics.map((d) => [d.code, d.line, d.col]), [['LINE_TOO_LONG', 1, 1025]]);
  t.deepEqual(b.data, {});
});

test('YAML syntax errors carry line and column and print like a compiler', (t) => {
  const text = 'default_exec_type: pbrun\nexec_types:\n  pbrun: {binary: pbrun\n';
  const c = parseConfigText(text);
  t.deepEqual(c.data, {});
  t.is(c.diagnostics.length >= 1, true);
  const d = c.diagnostics[0]!;
  t.is(d.code, 'CONFIG_YAML');
  t.is(d.severity, 'error');
  t.is(d.line, 4);
  t.truthy(d.col);
  t.regex(formatDiagnostic(d, 'tasker.yaml', text.split('\n')), /^tasker\.yaml:4:\d+: error\[CONFIG_YAML\] /);
});

test('duplicate keys and a non-mapping document are errors', (t) => {
  const dup = parseConfigText('a: 1\na: 2\n');
  t.deepEqual(dup.diagnostics.map((d) => [d.code, d.line, d.col]), [['CONFIG_YAML', 2, 1]]);
  const list = parseConfigText('- a\n- b\n');
  t.deepEqual(list.diagnostics.map((d) => [d.code, d.message]), [
    ['CONFIG_NOT_A_MAP', 'the config file must be a mapping of sections (key: value)'],
  ]);
  t.deepEqual(parseConfigText('').data, {});
  t.deepEqual(parseConfigText('# only a comment\n').diagnostics, []);
});

test('sections of other components are kept untouched, and positions can be looked up', (t) => {
  const c = parseConfigText('agents:\n  web: {address: 10.0.0.1}\nnats:\n  servers: [nats://x:4222]\ndefault_agent: web\n');
  t.deepEqual(c.data, {
    agents: { web: { address: '10.0.0.1' } },
    nats: { servers: ['nats://x:4222'] },
    default_agent: 'web',
  });
  t.deepEqual(c.positionOf(['nats', 'servers', 0]), { line: 4, col: 13 });
  t.is(c.positionOf(['nope']), undefined);
});
