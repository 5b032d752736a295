/** Ansible's INI inventory: sections, :children, :vars, host-line vars, ranges, comments and positioned errors. */
import test from 'ava';
import { formatDiagnostic } from '../../../shared/taskfile/diagnostics.js';
import { connectionOfHost, hostsOfGroup, parseIniInventory, varsOfHost } from '../../../shared/inventory/index.js';

const SAMPLE = `# hosts before any section are ungrouped
mail.example.com ansible_host=192.0.2.10

[web]
web[01:10:3] http_port=8080   # every third host
web20:2222 ansible_host=127.0.0.1 ansible_user=deploy motd="hello world"

[canary]
web04 role=canary-host

[web:vars]
role = "web tier"
tier=front

[prod:children]
web
canary

[prod:vars]
role=prod
tier=prod
ntp=pool.ntp.org

[all:vars]
ntp=time.example.com
dc=east
`;

test('sections, ranges with a step, host:port, :children and the implicit groups', (t) => {
  const { inventory, diagnostics } = parseIniInventory(SAMPLE, 'hosts.ini');
  t.deepEqual(diagnostics, []);
  t.deepEqual([...inventory.hosts.keys()], ['mail.example.com', 'web01', 'web04', 'web07', 'web10', 'web20']);
  t.deepEqual(hostsOfGroup(inventory, 'ungrouped'), ['mail.example.com']);
  t.deepEqual(hostsOfGroup(inventory, 'prod'), ['web01', 'web04', 'web07', 'web10', 'web20']);
  t.deepEqual(hostsOfGroup(inventory, 'web'), ['web01', 'web04', 'web07', 'web10', 'web20']);
  t.deepEqual(inventory.groups.get('prod')!.children, new Set(['web', 'canary']));
  t.is(inventory.groups.get('web')!.depth, 2);
});

test('vars precedence: host line over child group over parent group over all', (t) => {
  const { inventory } = parseIniInventory(SAMPLE, 'hosts.ini');
  t.deepEqual(Object.fromEntries(varsOfHost(inventory, 'web01')!), { ntp: 'pool.ntp.org', dc: 'east', role: 'web tier', tier: 'front', http_port: '8080' });
  // web04 is in web and canary (both depth 2): canary < web by name, so web's role wins, then the host's own.
  t.is(varsOfHost(inventory, 'web04')!.get('role'), 'canary-host');
  t.deepEqual(Object.fromEntries(varsOfHost(inventory, 'mail.example.com')!), { ntp: 'time.example.com', dc: 'east', ansible_host: '192.0.2.10' });
  t.is(varsOfHost(inventory, 'web20')!.get('motd'), 'hello world');
});

test('connections from ansible_host/ansible_port/ansible_user and host:port', (t) => {
  const { inventory } = parseIniInventory(SAMPLE, 'hosts.ini');
  t.deepEqual(connectionOfHost(inventory, 'web20'), { name: 'web20', address: '127.0.0.1', port: 2222, user: 'deploy' });
  t.deepEqual(connectionOfHost(inventory, 'mail.example.com'), { name: 'mail.example.com', address: '192.0.2.10' });
});

test('letter ranges, zero padding and IPv6 with a port', (t) => {
  const { inventory, diagnostics } = parseIniInventory('[db]\ndb-[a:c]\nn[08:10]\n[2001:db8::1]:2200\n', 'h');
  t.deepEqual(diagnostics, []);
  t.deepEqual([...inventory.hosts.keys()], ['db-a', 'db-b', 'db-c', 'n08', 'n09', 'n10', '2001:db8::1']);
  t.is(varsOfHost(inventory, '2001:db8::1')!.get('ansible_port'), '2200');
});

const errorCase = test.macro((t, text: string, expected: string[]) => {
  const { diagnostics } = parseIniInventory(text, 'hosts');
  t.deepEqual(diagnostics.map((d) => formatDiagnostic(d, 'hosts').split('\n')[0]), expected);
});

test('error: a host variable without =', errorCase, '[web]\nweb01 ansible_port=22 oops\n',
  ["hosts:2:23: error[EXPECTED_KEY_VALUE] host 'web01': expected key=value after the host name, got 'oops'"]);
test('error: an unknown section type', errorCase, '[web:child]\n',
  ["hosts:1:6: error[UNKNOWN_SECTION_TYPE] section [web:child] has an unknown type 'child'"]);
test('error: a broken section header', errorCase, '[web servers]\nweb01\n',
  ["hosts:1:1: error[INI_SYNTAX] '[web servers]' is not a section header"]);
test('error: a header missing its bracket is read as a host pattern, as Ansible does', errorCase, '[web\nweb01\n',
  ["hosts:1:1: error[INVALID_HOST_PATTERN] '[' without ']': a range is written [01:20]"]);
test('error: :vars for a group never defined', errorCase, '[web]\nw1\n[wbe:vars]\nx=1\n',
  ["hosts:3:2: error[UNDEFINED_GROUP] section [wbe:vars] is for group 'wbe', which the inventory does not define"]);
test('error: a vars line without =', errorCase, '[all:vars]\njust text\n',
  ["hosts:2:1: error[EXPECTED_KEY_VALUE] [all:vars]: expected key=value, got 'just text'"]);
test('error: an unterminated quote on a host line', errorCase, '[web]\nweb01 motd="hi\n',
  ['hosts:2:12: error[INI_SYNTAX] unterminated double quote']);
test('error: a range whose padded ends differ in width', errorCase, '[web]\nweb[01:100]\n',
  ['hosts:2:4: error[INVALID_HOST_PATTERN] range [01:100]: a zero-padded begin and its end must have the same width']);
test('error: a bad port after the host', errorCase, '[web]\nweb01:70000\n',
  ['hosts:2:7: error[INVALID_HOST_PATTERN] port 70000 is not from 1 to 65535']);
test('error: a children cycle', errorCase, '[a:children]\nb\n[b:children]\na\n',
  ["hosts:1:2: error[GROUP_CYCLE] group 'a' is its own ancestor through children"]);
test('error: a range too large is refused, not expanded', errorCase, '[web]\nh[0:99999999]\n',
  ['hosts:2:2: error[INVALID_HOST_PATTERN] range [0:99999999] makes more than 100000 hosts']);
