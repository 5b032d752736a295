/** Where exec=ssh connects: the hostname as written > first matching ssh.hosts entry > section defaults. */
import test from 'ava';
import { matchesHostPatterns, parseSshConfig, sshTargetFor } from '../../../controller/ssh/index.js';

const { options, problems } = parseSshConfig(
  {
    ssh: {
      user: 'ops',
      port: 22,
      identity: '/keys/default',
      hosts: {
        web01: { user: 'deploy', port: 2222 },
        'web* !web-legacy': { identity: '/keys/web', port: 2200 },
        'DB?.example.com,db-old': { known_hosts: 'kh/db' },
      },
    },
  },
  '/etc/tasker/tasker.yaml',
);

test('the config parses without problems; relative files resolve against the config directory', (t) => {
  t.deepEqual(problems, []);
  t.deepEqual(options.hosts?.[2], { patterns: ['DB?.example.com', 'db-old'], knownHosts: '/etc/tasker/kh/db' });
});

test('each setting comes from the first layer that sets it', (t) => {
  t.deepEqual(sshTargetFor('web01', options).target, { host: 'web01', user: 'deploy', port: 2222, identity: '/keys/web' });
  t.deepEqual(sshTargetFor('web02', options).target, { host: 'web02', user: 'ops', port: 2200, identity: '/keys/web' });
  t.deepEqual(sshTargetFor('root@web01:2022', options).target, { host: 'web01', user: 'root', port: 2022, identity: '/keys/web' });
  t.deepEqual(sshTargetFor('web-legacy', options).target, { host: 'web-legacy', user: 'ops', port: 22, identity: '/keys/default' });
  t.deepEqual(sshTargetFor('db1.example.com', options).target, { host: 'db1.example.com', user: 'ops', port: 22, identity: '/keys/default', knownHosts: '/etc/tasker/kh/db' });
  t.deepEqual(sshTargetFor('ops@[::1]:2201', {}).target, { host: '::1', user: 'ops', port: 2201 });
});

test('a hostname that does not parse is an error naming the part', (t) => {
  t.deepEqual(sshTargetFor('web01:99999', options), { error: "port '99999' in 'web01:99999' must be 1-65535" });
});

test('host patterns: * and ?, case-insensitive, a !negation excludes, a negation alone matches nothing', (t) => {
  t.true(matchesHostPatterns('WEB01.example.com', ['web*.example.com']));
  t.true(matchesHostPatterns('db1', ['db?']));
  t.false(matchesHostPatterns('db12', ['db?']));
  t.false(matchesHostPatterns('web-legacy', ['web*', '!web-legacy']));
  t.false(matchesHostPatterns('web01', ['!db*']));
  t.false(matchesHostPatterns('10.1.2.30', ['10.1.2.3'])); // dots are literal
  t.true(matchesHostPatterns('10.1.2.30', ['10.1.2.*']));
});

test('ssh.hosts problems name the entry and key', (t) => {
  const r = parseSshConfig({ ssh: { hosts: { '!web01': { user: 'x' }, db: 'root', 'web*': { port: 'x', user: '' } } } });
  t.deepEqual(r.problems, [
    'ssh.hosts: `!web01` must name at least one host or pattern (a !negation alone matches nothing)',
    'ssh.hosts.db must be a mapping {user, port, identity, known_hosts}',
    'ssh.hosts.web*.user must be a non-empty string',
    'ssh.hosts.web*.port must be a port number 1-65535, got "x"',
  ]);
  t.deepEqual(r.issues.map((i) => i.path), [['ssh', 'hosts', '!web01'], ['ssh', 'hosts', 'db'], ['ssh', 'hosts', 'web*', 'user'], ['ssh', 'hosts', 'web*', 'port']]);
});
