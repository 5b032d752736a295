/** Ansible's YAML inventory: groups, children, nesting, vars precedence, ranges and positioned errors. */
import test from 'ava';
import { formatDiagnostic } from '../../../shared/taskfile/diagnostics.js';
import { connectionOfHost, groupsOfHost, hostsOfGroup, parseYamlInventory, varsOfHost } from '../../../shared/inventory/index.js';

const SAMPLE = `all:
  vars:
    role: any
    tier: base
    ntp: pool.ntp.org
  hosts:
    mail.example.com:
  children:
    web:
      vars:
        role: web
        tier: front
      hosts:
        web[01:03]:
        web04:2222:
          ansible_host: 10.0.0.4
          ansible_user: deploy
      children:
        canary:
          vars:
            role: canary
          hosts:
            web02:
              tier: host-own
    db:
      hosts:
        db-[a:c]:
          ansible_port: 5432
    empty:
`;

test('groups, children and hosts, with the implicit all and ungrouped', (t) => {
  const { inventory, diagnostics } = parseYamlInventory(SAMPLE, 'inv.yml');
  t.deepEqual(diagnostics, []);
  t.deepEqual([...inventory.hosts.keys()], ['mail.example.com', 'web01', 'web02', 'web03', 'web04', 'db-a', 'db-b', 'db-c']);
  t.deepEqual([...inventory.groups.keys()].sort(), ['all', 'canary', 'db', 'empty', 'ungrouped', 'web']);
  t.deepEqual(hostsOfGroup(inventory, 'web'), ['web01', 'web02', 'web03', 'web04']);
  t.deepEqual(hostsOfGroup(inventory, 'canary'), ['web02']);
  t.deepEqual(hostsOfGroup(inventory, 'ungrouped'), ['mail.example.com']);
  t.deepEqual(hostsOfGroup(inventory, 'empty'), []);
  t.is(hostsOfGroup(inventory, 'all').length, 8);
  t.deepEqual(groupsOfHost(inventory, 'web02').map((g) => g.name).sort(), ['all', 'canary', 'web']);
  t.is(inventory.groups.get('canary')!.depth, 2);
  t.is(inventory.groups.get('web')!.depth, 1);
});

test('vars precedence: host over child group over parent group over all', (t) => {
  const { inventory } = parseYamlInventory(SAMPLE, 'inv.yml');
  t.deepEqual(Object.fromEntries(varsOfHost(inventory, 'web02')!), { role: 'canary', tier: 'host-own', ntp: 'pool.ntp.org' });
  t.deepEqual(Object.fromEntries(varsOfHost(inventory, 'web01')!), { role: 'web', tier: 'front', ntp: 'pool.ntp.org' });
  t.deepEqual(Object.fromEntries(varsOfHost(inventory, 'mail.example.com')!), { role: 'any', tier: 'base', ntp: 'pool.ntp.org' });
  t.is(varsOfHost(inventory, 'db-b')!.get('ansible_port'), '5432');
  t.is(varsOfHost(inventory, 'nope'), undefined);
});

test('equal depth: the group later by name wins, unless ansible_group_priority says otherwise', (t) => {
  const text = `all:\n  children:\n    alpha:\n      vars: {x: alpha}\n      hosts: {h1:}\n    beta:\n      vars: {x: beta}\n      hosts: {h1:}\n`;
  t.is(varsOfHost(parseYamlInventory(text, 'i.yml').inventory, 'h1')!.get('x'), 'beta');
  const prio = text.replace('vars: {x: alpha}', 'vars: {x: alpha, ansible_group_priority: 10}');
  t.is(varsOfHost(parseYamlInventory(prio, 'i.yml').inventory, 'h1')!.get('x'), 'alpha');
});

test('a group reached on two paths takes its deepest depth (children over parents)', (t) => {
  const text = `all:\n  children:\n    prod:\n      vars: {x: prod}\n      children:\n        web:\n          vars: {x: web}\n          hosts: {w1:}\n    web:\n`;
  const { inventory } = parseYamlInventory(text, 'i.yml');
  t.is(inventory.groups.get('web')!.depth, 2);
  t.is(varsOfHost(inventory, 'w1')!.get('x'), 'web');
});

test('ansible_host, ansible_port (also from host:port) and ansible_user make the connection', (t) => {
  const { inventory } = parseYamlInventory(SAMPLE, 'inv.yml');
  t.deepEqual(connectionOfHost(inventory, 'web04'), { name: 'web04', address: '10.0.0.4', port: 2222, user: 'deploy' });
  t.deepEqual(connectionOfHost(inventory, 'web01'), { name: 'web01', address: 'web01' });
  t.deepEqual(connectionOfHost(inventory, 'db-a'), { name: 'db-a', address: 'db-a', port: 5432 });
});

test('values: numbers and strings as written, booleans as Ansible prints them, lists and maps as JSON, null empty', (t) => {
  const { inventory } = parseYamlInventory(`all:\n  hosts:\n    h:\n      n: 8080\n      b: true\n      l: [1, a]\n      m: {k: v}\n      z:\n      s: "x y"\n`, 'i.yml');
  t.deepEqual(Object.fromEntries(varsOfHost(inventory, 'h')!), { n: '8080', b: 'True', l: '[1,"a"]', m: '{"k":"v"}', z: '', s: 'x y' });
});

test('JSON is YAML: an inventory written as JSON reads the same', (t) => {
  const { inventory, diagnostics } = parseYamlInventory('{"web": {"hosts": {"w1": {"ansible_port": 22}}, "vars": {"a": "b"}}}', 'i.json');
  t.deepEqual(diagnostics, []);
  t.deepEqual(Object.fromEntries(varsOfHost(inventory, 'w1')!), { a: 'b', ansible_port: '22' });
});

const errorCase = test.macro((t, text: string, expected: string[]) => {
  const { diagnostics } = parseYamlInventory(text, 'inv.yml');
  t.deepEqual(diagnostics.map((d) => formatDiagnostic(d, 'inv.yml').split('\n')[0]), expected);
});

test('error: a typo for hosts names the key and suggests', errorCase, 'web:\n  host:\n    w1:\n',
  ["inv.yml:2:3: error[UNKNOWN_GROUP_KEY] group 'web': 'host' is not a group key (hosts, vars, children)"]);
test('error: hosts as a list', errorCase, 'web:\n  hosts:\n    - w1\n',
  ["inv.yml:3:5: error[NOT_A_MAPPING] hosts of group 'web' must be a mapping (host: vars), not a list"]);
test('error: a bad range points into the host pattern', errorCase, 'web:\n  hosts:\n    web[05:01]:\n',
  ['inv.yml:3:8: error[INVALID_HOST_PATTERN] range [05:01] ends before it begins']);
test('error: a bad port where it is defined', errorCase, 'web:\n  vars:\n    ansible_port: http\n',
  ["inv.yml:3:5: error[INVALID_PORT] ansible_port: 'http' is not a port number from 1 to 65535"]);
test('error: YAML syntax with its position', errorCase, 'web:\n  hosts: [\n',
  ['inv.yml:3:1: error[YAML_SYNTAX] Flow sequence in block collection must be sufficiently indented and end with a ]']);
test('error: a cycle through children', errorCase, 'a:\n  children:\n    b:\n      children:\n        a:\n',
  ["inv.yml:1:1: error[GROUP_CYCLE] group 'a' is its own ancestor through children"]);
test('error: an invalid variable name', errorCase, 'web:\n  vars:\n    bad-name: 1\n',
  ["inv.yml:3:5: error[INVALID_VAR_NAME] 'bad-name' is not a valid variable name"]);
test('error: the top level is not a mapping', errorCase, '- web\n',
  ['inv.yml:1:1: error[NOT_A_MAPPING] the top level of a YAML inventory (group name → hosts/vars/children) must be a mapping']);
test('an empty file is a warning, not an error', errorCase, '# nothing\n',
  ['inv.yml:1:1: warning[EMPTY_INVENTORY] the inventory defines no groups and no hosts']);
test('error: an invalid child group name is reported once', errorCase, 'web:\n  children:\n    "bad name":\n',
  ["inv.yml:3:5: error[INVALID_GROUP_NAME] 'bad name' is not a valid group name"]);
test('a duplicate key is a warning and the last one wins, as in Ansible', (t) => {
  const { inventory, diagnostics } = parseYamlInventory('web:\n  vars:\n    x: 1\n    x: 2\n  hosts:\n    w1:\n', 'inv.yml');
  t.deepEqual(diagnostics.map((d) => formatDiagnostic(d, 'inv.yml').split('\n')[0]), ["inv.yml:4:5: warning[DUPLICATE_KEY] vars of group 'web': 'x' is given more than once; the last one wins (as in Ansible)"]);
  t.is(varsOfHost(inventory, 'w1')!.get('x'), '2');
});
