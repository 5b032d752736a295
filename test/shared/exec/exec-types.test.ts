import test from 'ava';
import { chmodSync, mkdirSync, mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import {
  buildArgv,
  connectivityArgv,
  defaultRegistry,
  execTypeNames,
  formatTemplateElement,
  resolveExecType,
  unknownPlaceholders,
  type ExecType,
} from '../../../shared/exec/exec-types.js';
import { findBinary, missingBinaryMessage } from '../../../shared/exec/find-binary.js';
import { runProcess } from '../../../shared/exec/run-process.js';

const registry = defaultRegistry();
const type = (name: string): ExecType => resolveExecType(registry, name)!;
const fixtures = join(import.meta.dirname, '../../fixtures/bin');

const argvOf = test.macro({
  exec(t, execType: string, input: { hostname?: string; command: string; arguments?: string }, expected: string[]) {
    const r = buildArgv(type(execType), { hostname: input.hostname ?? 'web01', command: input.command, arguments: input.arguments ?? '' });
    t.is(r.error, undefined);
    t.deepEqual(r.argv, expected);
  },
  title: (given, execType: string) => `${execType}: ${given ?? ''}`,
});

test('args split', argvOf, 'local', { command: 'ls', arguments: "-l '/tmp/a b'" }, ['ls', '-l', '/tmp/a b']);
test('no args adds nothing', argvOf, 'local', { command: 'true' }, ['true']);
test('command with blanks is split', argvOf, 'local', { command: 'ls -l', arguments: '/tmp' }, ['ls', '-l', '/tmp']);
test('shell gets one string', argvOf, 'shell', { command: 'echo', arguments: '$HOME | wc' }, ['/bin/bash', '-c', 'echo $HOME | wc']);
test('shell without args has no trailing blank', argvOf, 'shell', { command: 'uptime' }, ['/bin/bash', '-c', 'uptime']);
test('args', argvOf, 'pbrun', { command: 'systemctl', arguments: 'status "my unit"' }, [
  'pbrun', '-n', '-h', 'web01', 'systemctl', 'status', 'my unit',
]);
test('no args', argvOf, 'pbrun', { command: 'uptime' }, ['pbrun', '-n', '-h', 'web01', 'uptime']);
test('args', argvOf, 'p7s', { command: 'df', arguments: '-h /' }, ['p7s', 'web01', 'df', '-h', '/']);
test('args', argvOf, 'wwrs', { command: 'df', arguments: '-h' }, ['wwrs_clir', 'web01', 'df', '-h']);
test('alias bash', argvOf, 'bash', { command: 'echo', arguments: 'hi' }, ['/bin/bash', '-c', 'echo hi']);
test('alias /bin/sh (case-insensitive lookup)', argvOf, '/BIN/SH', { command: 'echo' }, ['/bin/bash', '-c', 'echo']);

test('built-in registry knows every SPEC type and alias', (t) => {
  t.deepEqual([...registry.types.keys()].sort(), ['local', 'p7s', 'pbrun', 'shell', 'ssh', 'wwrs']);
  t.deepEqual(execTypeNames(registry).filter((n) => registry.aliases.has(n)).sort(), ['/bin/bash', '/bin/sh', 'bash', 'sh']);
  t.is(resolveExecType(registry, 'nope'), undefined);
  t.false(type('local').usesHost);
  t.false(type('shell').usesHost);
  t.true(type('pbrun').usesHost && type('p7s').usesHost && type('wwrs').usesHost && type('ssh').usesHost);
  t.true(type('ssh').remote);
  t.is(type('wwrs').binary, 'wwrs_clir');
  t.deepEqual(type('pbrun').connectivityTest, { command: 'pbtest', arguments: '', expectedExit: 0, expectedOutput: 'OK', timeoutSec: 10 });
  t.is(type('wwrs').connectivityTest!.timeoutSec, 15);
});

test('connectivity test argv per type', (t) => {
  t.deepEqual(connectivityArgv(type('pbrun'), 'h1').argv, ['pbrun', '-n', '-h', 'h1', 'pbtest']);
  t.deepEqual(connectivityArgv(type('p7s'), 'h1').argv, ['p7s', 'h1', 'pbtest']);
  t.deepEqual(connectivityArgv(type('wwrs'), 'h1').argv, ['wwrs_clir', 'h1', 'wwrs_test']);
  t.deepEqual(connectivityArgv(type('shell'), 'h1').argv, ['/bin/bash', '-c', 'echo OK']);
  t.regex(connectivityArgv(type('local'), 'h1').error!, /no connectivity test/);
});

test('errors: bad quoting names the part and column, ssh has no local template, empty command', (t) => {
  t.deepEqual(buildArgv(type('pbrun'), { hostname: 'h', command: 'echo', arguments: 'a "b' }), {
    argv: [],
    error: 'arguments: unterminated double quote starting at column 3',
  });
  t.deepEqual(buildArgv(type('local'), { hostname: '', command: "ls 'x", arguments: '' }), {
    argv: [],
    error: 'command: unterminated single quote starting at column 4',
  });
  t.regex(buildArgv(type('ssh'), { hostname: 'h', command: 'ls', arguments: '' }).error!, /no local template/);
  t.is(buildArgv(type('local'), { hostname: '', command: '  ', arguments: '' }).error, 'no command given');
});

test('template placeholders: braces escaped, unknown names kept and reported, no recursive expansion', (t) => {
  t.is(formatTemplateElement('{{x}} {hostname}', { hostname: 'h' }), '{x} h');
  t.is(formatTemplateElement('{nope}', { hostname: 'h' }), '{nope}');
  t.is(formatTemplateElement('{command}', { command: '{hostname}', hostname: 'h' }), '{hostname}');
  t.deepEqual(unknownPlaceholders('--user={user} {hostname} {{lit}}'), ['user']);
  t.deepEqual(unknownPlaceholders('{arguments_split}'), []);
});

test('built argv runs through the mock pbrun fixture and reaches the command with its arguments intact', async (t) => {
  const built = buildArgv(type('pbrun'), { hostname: 'web01', command: 'printf', arguments: `'%s|' "a b" c` });
  const r = await runProcess({ argv: built.argv, env: { ...process.env, PATH: `${fixtures}:${process.env['PATH']}` } });
  t.is(r.exitCode, 0);
  t.is(r.stdout, 'a b|c|');
});

test('findBinary searches PATH without spawning, honours the executable bit and slashes', (t) => {
  const dir = mkdtempSync(join(tmpdir(), 'tasker-find-'));
  try {
    mkdirSync(join(dir, 'a'));
    mkdirSync(join(dir, 'b'));
    mkdirSync(join(dir, 'b', 'tool-dir'));
    writeFileSync(join(dir, 'a', 'tool'), '#!/bin/sh\n');
    chmodSync(join(dir, 'a', 'tool'), 0o644);
    writeFileSync(join(dir, 'b', 'tool'), '#!/bin/sh\n');
    chmodSync(join(dir, 'b', 'tool'), 0o755);
    const path = `${join(dir, 'a')}:${join(dir, 'b')}`;
    t.is(findBinary('tool', path), join(dir, 'b', 'tool'));
    t.is(findBinary('tool-dir', path), undefined);
    t.is(findBinary('missing', path), undefined);
    t.is(findBinary('tool', undefined), undefined);
    t.is(findBinary('tool', ':', join(dir, 'b')), join(dir, 'b', 'tool'));
    t.is(findBinary(join(dir, 'b', 'tool'), ''), join(dir, 'b', 'tool'));
    t.is(findBinary('./b/tool', '', dir), join(dir, 'b', 'tool'));
    t.is(findBinary(join(dir, 'a', 'tool'), ''), undefined);
    t.is(findBinary('pbrun', fixtures), join(fixtures, 'pbrun'));
    t.is(
      missingBinaryMessage('pbrun', 'pbrun'),
      "exec type 'pbrun' needs the program 'pbrun', which is not on PATH; install it or use exec=local",
    );
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }
});
