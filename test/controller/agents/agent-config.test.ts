import test from 'ava';
import { lookupAgentSpec, parseAgentsConfig } from '../../../controller/agents/index.js';
import { resolveAgentName } from '../../../core/executors/index.js';
import { versionsCompatible } from '../../../controller/executors/check-agents.js';
import { parseKnownHosts, lookupHostKeys } from '../../../shared/ssh/known-hosts.js';
import { createHmac } from 'node:crypto';

const pick = test.macro((t, input: Parameters<typeof resolveAgentName>[0], expected: string | undefined) => {
  t.is(resolveAgentName(input), expected);
});
const config = { defaultAgent: 'cfg' };
test('task agent= wins', pick, { taskAgent: 'task', cliAgent: 'cli', env: { TASK_EXECUTOR_AGENT: 'env' }, config }, 'task');
test('--agent beats env and config', pick, { cliAgent: 'cli', env: { TASK_EXECUTOR_AGENT: 'env' }, config }, 'cli');
test('TASK_EXECUTOR_AGENT beats config', pick, { env: { TASK_EXECUTOR_AGENT: 'env' }, config }, 'env');
test('config default_agent last', pick, { env: {}, config }, 'cfg');
test('nothing → local', pick, { env: {} }, undefined);
test('agent=local forces local', pick, { taskAgent: 'local', env: {}, config }, undefined);

test('parses agents: address+tls, ssh+port, loopback plain, default_agent; paths relative to the config', (t) => {
  const c = parseAgentsConfig(
    {
      agents: {
        j1: { address: 'j1.example.com:50051', tls: { ca: 'ca.crt', cert: '/abs/ctl.crt', key: 'ctl.key', server_name: 'j1' } },
        j2: { ssh: { host: 'j2', user: 'ops', port: 2222, identity: '~/.ssh/id_ed25519' }, port: 50051 },
        local: { address: '127.0.0.1:50051' },
      },
      default_agent: 'j1',
    },
    '/etc/tasker/tasker.yaml',
  );
  t.deepEqual(c.problems, []);
  t.deepEqual(c.agents.get('j1'), {
    name: 'j1', kind: 'tls', address: 'j1.example.com:50051',
    tls: { ca: '/etc/tasker/ca.crt', cert: '/abs/ctl.crt', key: '/etc/tasker/ctl.key', serverName: 'j1' },
  });
  t.deepEqual(c.agents.get('j2'), {
    name: 'j2', kind: 'ssh', port: 50051, ssh: { host: 'j2', port: 2222, user: 'ops', identity: '~/.ssh/id_ed25519' },
  });
  t.is(c.agents.get('local')!.kind, 'plain');
  t.is(c.defaultAgent, 'j1');
});

test('config problems name the key', (t) => {
  const c = parseAgentsConfig({
    agents: { a: { address: '10.0.0.1:50051' }, b: { ssh: { host: 'b' } }, c: { address: 'nope' }, d: { address: 'x:1', tls: { ca: 'c' } } },
  });
  t.deepEqual(c.problems, [
    'agents.a: tls {ca, cert, key} is required for a non-loopback address (10.0.0.1:50051); or use ssh + port',
    "agents.b.port (the agent's loopback port on the SSH host) or agents.b.address: unix:PATH (its socket there) is required",
    'agents.c.address must be HOST:PORT or unix:PATH, got `nope`',
    'agents.d.tls.cert is required',
    'agents.d.tls.key is required',
  ]);
});

test('unix:PATH agents: local socket (relative to the config), through ssh to a socket, ad hoc; wrong combinations name the key', (t) => {
  const c = parseAgentsConfig(
    {
      agents: {
        here: { address: 'unix:run/agent.sock' },
        there: { ssh: { host: 'j2', user: 'ops' }, address: 'unix:/run/tasker-agent/agent.sock' },
        both: { ssh: { host: 'j3' }, address: 'unix:/run/a.sock', port: 50051 },
        tcp: { ssh: { host: 'j4' }, address: 'j4:50051' },
        empty: { address: 'unix:' },
      },
    },
    '/etc/tasker/tasker.yaml',
  );
  t.deepEqual(c.agents.get('here'), { name: 'here', kind: 'unix', path: '/etc/tasker/run/agent.sock' });
  t.deepEqual(c.agents.get('there'), { name: 'there', kind: 'ssh', ssh: { host: 'j2', user: 'ops' }, socket: '/run/tasker-agent/agent.sock' });
  t.deepEqual(c.problems, [
    'agents.both: give either port or address: unix:PATH with ssh, not both',
    "agents.tcp: with ssh, give port (the agent's loopback port) or address: unix:PATH (its socket there), not address j4:50051",
    'agents.empty.address unix:PATH needs a socket path, got `unix:`',
  ]);
  t.deepEqual(c.issues.map((i) => i.path), [['agents', 'both'], ['agents', 'tcp'], ['agents', 'empty', 'address']]);
  t.deepEqual(lookupAgentSpec('unix:/run/x.sock', parseAgentsConfig({})).spec, { name: 'unix:/run/x.sock', kind: 'unix', path: '/run/x.sock' });
});

test('ad-hoc HOST:PORT: loopback plain, remote needs agent_tls, unknown names are named', (t) => {
  const none = parseAgentsConfig({});
  t.is(lookupAgentSpec('127.0.0.1:5000', none).spec?.kind, 'plain');
  t.regex(lookupAgentSpec('10.1.1.1:5000', none).problem!, /no agent_tls/);
  t.regex(lookupAgentSpec('jumpx', none).problem!, /unknown agent `jumpx`/);
  const withTls = parseAgentsConfig({ agent_tls: { ca: '/a', cert: '/b', key: '/c' } });
  t.is(lookupAgentSpec('10.1.1.1:5000', withTls).spec?.kind, 'tls');
});

test('versions: same major (same major.minor while 0.x)', (t) => {
  t.true(versionsCompatible('1.2.0', '1.5.3'));
  t.false(versionsCompatible('2.0.0', '1.5.3'));
  t.true(versionsCompatible('0.1.0', '0.1.9'));
  t.false(versionsCompatible('0.2.0', '0.1.0'));
});

test('known_hosts: plain, [host]:port, patterns, negation, hashed, revoked', (t) => {
  const key = Buffer.from('key-one').toString('base64');
  const key2 = Buffer.from('key-two').toString('base64');
  const salt = Buffer.from('0123456789abcdef0123');
  const hash = createHmac('sha1', salt).update('hashed.example').digest('base64');
  const entries = parseKnownHosts(
    [
      '# comment',
      `plain.example,10.0.0.1 ssh-ed25519 ${key}`,
      `[ported.example]:2222 ssh-ed25519 ${key}`,
      `*.wild.example,!bad.wild.example ssh-rsa ${key2}`,
      `|1|${salt.toString('base64')}|${hash} ecdsa-sha2-nistp256 ${key}`,
      `@revoked plain.example ssh-rsa ${key2}`,
    ].join('\n'),
  );
  t.is(lookupHostKeys(entries, 'plain.example', 22).keys.length, 1);
  t.is(lookupHostKeys(entries, 'plain.example', 22).revoked.length, 1);
  t.is(lookupHostKeys(entries, 'ported.example', 2222).keys.length, 1);
  t.is(lookupHostKeys(entries, 'ported.example', 22).keys.length, 0);
  t.is(lookupHostKeys(entries, 'a.wild.example', 22).keys[0]!.type, 'ssh-rsa');
  t.is(lookupHostKeys(entries, 'bad.wild.example', 22).keys.length, 0);
  t.is(lookupHostKeys(entries, 'hashed.example', 22).keys[0]!.type, 'ecdsa-sha2-nistp256');
});
