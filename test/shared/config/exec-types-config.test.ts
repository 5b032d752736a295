import test from 'ava';
import { execTypesFromConfig } from '../../../shared/config/exec-types-config.js';
import { hostValidationFromConfig, DEFAULT_HOST_VALIDATION } from '../../../shared/config/host-validation-config.js';
import { join } from 'node:path';
import { parseConfigFile, parseConfigText } from '../../../shared/config/load-config.js';
import { buildArgv, connectivityArgv, defaultRegistry, resolveExecType } from '../../../shared/exec/exec-types.js';

function fromYaml(text: string) {
  const c = parseConfigText(text);
  return execTypesFromConfig(c.data, c.positionOf);
}
const messages = (ds: { severity: string; message: string; line?: number; col?: number }[]) =>
  ds.map((d) => `${d.line ?? '-'}:${d.col ?? '-'} ${d.severity} ${d.message}`);

test('empty config gives the built-ins and no defaults', (t) => {
  const { registry, diagnostics } = execTypesFromConfig({});
  t.deepEqual(diagnostics, []);
  t.deepEqual([...registry.types.keys()].sort(), ['local', 'p7s', 'pbrun', 'shell', 'ssh', 'wwrs']);
  t.is(registry.defaultExecType, undefined);
  t.is(registry.defaultTimeoutSec, undefined);
});

test('our schema: override fields of a built-in, add a type with its test, aliases, defaults', (t) => {
  const { registry, diagnostics } = fromYaml(`
default_exec_type: BASH
default_timeout: 60
exec_types:
  pbrun:
    binary: /opt/pb/bin/pbrun
    timeout: 120
  sudo_local:
    description: run as root
    template: [sudo, -n, "{command}", "{arguments_split}"]
    connectivity_test: {command: "true", expected_exit: 0, timeout: 3}
aliases:
  sl: sudo_local
  PB: pbrun
`);
  t.deepEqual(diagnostics, []);
  t.is(registry.defaultExecType, 'shell');
  t.is(registry.defaultTimeoutSec, 60);
  const pbrun = resolveExecType(registry, 'pb')!;
  t.is(pbrun.name, 'pbrun');
  t.is(pbrun.timeoutSec, 120);
  t.deepEqual(buildArgv(pbrun, { hostname: 'h', command: 'ls', arguments: '-l' }).argv, ['/opt/pb/bin/pbrun', '-n', '-h', 'h', 'ls', '-l']);
  t.is(pbrun.connectivityTest!.command, 'pbtest');
  const sl = resolveExecType(registry, 'sl')!;
  t.is(sl.binary, 'sudo');
  t.false(sl.usesHost);
  t.is(sl.description, 'run as root');
  t.deepEqual(sl.connectivityTest, { command: 'true', arguments: '', expectedExit: 0, expectedOutput: '', timeoutSec: 3 });
  t.deepEqual(buildArgv(sl, { hostname: '', command: 'id', arguments: '-u' }).argv, ['sudo', '-n', 'id', '-u']);
});

test("the peer's platforms.linux layout is read too", (t) => {
  const { registry, diagnostics } = fromYaml(`
platforms:
  linux:
    default_exec_type: pbrun
    default_timeout: 300
    default_validation_timeout: 10
    pbrun:
      description: PowerBroker
      binary: pbrun
      command_template: ["{binary}", "-n", "-h", "{hostname}", "{command}", "{arguments_split}"]
      timeout: 300
      validation_test: {command: pbtest, expected_exit: 0, expected_output: OK, timeout: 10}
    custom:
      binary: myrun
      command_template: ["{binary}", "--host={hostname}", "{command}", "{arguments_split}"]
      validation_test: null
    not_a_type: {foo: 1}
  windows:
    shell: {binary: cmd.exe, command_template: [cmd.exe, /c, "{command} {arguments}"]}
aliases:
  cmd: shell
`);
  t.deepEqual(diagnostics, []);
  t.is(registry.defaultExecType, 'pbrun');
  t.is(registry.defaultTimeoutSec, 300);
  const custom = resolveExecType(registry, 'custom')!;
  t.true(custom.usesHost);
  t.is(custom.connectivityTest, null);
  t.deepEqual(buildArgv(custom, { hostname: 'h', command: 'ls', arguments: '' }).argv, ['myrun', '--host=h', 'ls']);
  t.false(registry.types.has('not_a_type'));
  t.deepEqual(resolveExecType(registry, 'shell')!.template, ['{binary}', '-c', '{command} {arguments}']);
  t.is(resolveExecType(registry, 'cmd')!.name, 'shell');
  t.deepEqual(connectivityArgv(resolveExecType(registry, 'pbrun')!, 'h').argv, ['pbrun', '-n', '-h', 'h', 'pbtest']);
});

test('schema errors name the key path and position, and suggest', (t) => {
  const { diagnostics } = fromYaml(`default_exec_type: pbrn
default_timeout: soon
exec_types:
  pbrun:
    template: pbrun -n
  p7s: [p7s]
  mine:
    binary: x
    template: [x, "{host}", "{arguments_split}"]
    timout: 5
    connectivity_test: {command: check}
  other:
    binary: y
  ssh: {template: [ssh]}
  wwrs:
    connectivity_test: {command: t, expected_exit: 300, expected_output: [OK]}
aliases:
  zz: nosuch
  yy: 3
`);
  t.deepEqual(messages(diagnostics), [
    '-:- error exec_types.other is a new exec type and needs template (a list of strings)',
    "1:20 error default_exec_type is 'pbrn', which is not an exec type; did you mean 'pbrun'?",
    '2:18 error default_timeout must be a positive number of seconds, got string `soon`',
    '5:15 error exec_types.pbrun.template must be a list of strings, got string `pbrun -n`',
    '6:8 error exec_types.p7s must be a mapping with binary, template, timeout, connectivity_test; got a list',
    '9:19 error exec_types.mine.template[1] uses unknown placeholder {host}; known: {binary} {hostname} {command} {arguments} {arguments_split}',
    "10:5 warning unknown key exec_types.mine.timout is ignored; did you mean 'timeout'?",
    '11:24 error exec_types.mine.connectivity_test needs expected_exit or expected_output (or both), else it could never pass',
    "14:8 error exec_types.ssh: exec type 'ssh' is built in and runs through its own executor; configure it in its own section",
    '16:52 error exec_types.wwrs.connectivity_test.expected_exit must be an exit code 0–255, got number `300`',
    '16:74 error exec_types.wwrs.connectivity_test.expected_output must be a string, got a list',
    "18:7 error aliases.zz names exec type 'nosuch', which does not exist",
    "19:7 error aliases.yy names exec type '3', which does not exist",
  ]);
  t.true(diagnostics.every((d) => d.code === (d.severity === 'error' ? 'CONFIG_INVALID' : 'CONFIG_UNKNOWN_KEY')));
});

test('a broken entry keeps the built-in it would have replaced', (t) => {
  const { registry, diagnostics } = execTypesFromConfig({ exec_types: { pbrun: { template: 'x' } } });
  t.is(diagnostics.length, 1);
  t.is(diagnostics[0]!.line, undefined);
  t.deepEqual(resolveExecType(registry, 'pbrun')!.template[0], '{binary}');
});

test('host_validation: defaults, list or string resolver, validation', (t) => {
  t.deepEqual(hostValidationFromConfig({}), { config: { ...DEFAULT_HOST_VALIDATION }, diagnostics: [] });
  const ok = parseConfigText(`host_validation:
  resolver_command: op mc_isac -f "{hostname}"
  ping: false
  dns_timeout: 2
  ping_timeout: 3
  resolver_timeout: 4
`);
  t.deepEqual(hostValidationFromConfig(ok.data), {
    config: { resolverCommand: ['op', 'mc_isac', '-f', '{hostname}'], ping: false, dnsTimeoutSec: 2, pingTimeoutSec: 3, resolverTimeoutSec: 4 },
    diagnostics: [],
  });
  const bad = parseConfigText(`host_validation:
  resolver_command: [op, mc_isac]
  ping: yes please
  dns_timeout: -1
  pnig: true
`);
  t.deepEqual(messages(hostValidationFromConfig(bad.data, bad.positionOf).diagnostics), [
    '2:21 error host_validation.resolver_command must contain {hostname}, e.g. [op, mc_isac, -f, "{hostname}"]',
    '3:9 error host_validation.ping must be true or false, got string `yes please`',
    '4:16 error host_validation.dns_timeout must be a positive number of seconds, got number `-1`',
    '5:3 warning unknown key host_validation.pnig is ignored',
  ]);
});

test('deploy/tasker.example.yaml loads without any diagnostic and matches the built-ins', (t) => {
  const path = join(import.meta.dirname, '../../../deploy/tasker.example.yaml');
  const c = parseConfigFile(path);
  t.deepEqual(c.diagnostics, []);
  const { registry, diagnostics } = execTypesFromConfig(c.data, c.positionOf);
  t.deepEqual(diagnostics, []);
  const builtin = defaultRegistry();
  for (const name of ['shell', 'pbrun', 'p7s', 'wwrs']) {
    const a = resolveExecType(registry, name)!;
    const b = resolveExecType(builtin, name)!;
    t.deepEqual({ ...a, description: '' }, { ...b, description: '' }, name);
  }
  t.is(registry.defaultExecType, 'pbrun');
  t.is(resolveExecType(registry, 'powerbroker')!.name, 'pbrun');
  t.deepEqual(hostValidationFromConfig(c.data, c.positionOf).diagnostics, []);
});
