/** Reading an inventory file: the format from the extension, else from the content, as Ansible chooses. */
import test from 'ava';
import { mkdtempSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { hostsOfGroup, inventoryFormat, loadInventory } from '../../../shared/inventory/index.js';

const INI = '[web]\nweb01 ansible_port=22\n';
const YAML = 'web:\n  hosts:\n    web01:\n';

test('the extension decides: .yml/.yaml/.json are YAML, .ini/.cfg/.hosts are INI', (t) => {
  t.is(inventoryFormat('a.yml', INI), 'yaml');
  t.is(inventoryFormat('a.YAML', INI), 'yaml');
  t.is(inventoryFormat('a.json', INI), 'yaml');
  t.is(inventoryFormat('a.ini', YAML), 'ini');
  t.is(inventoryFormat('a.cfg', YAML), 'ini');
});

test('without a known extension: a YAML mapping is YAML, anything else INI', (t) => {
  t.is(inventoryFormat('hosts', YAML), 'yaml');
  t.is(inventoryFormat('hosts', INI), 'ini');
  t.is(inventoryFormat('hosts', 'mail.example.com\nweb01:2222\n'), 'ini');
  t.is(inventoryFormat('hosts', 'web01\n'), 'ini');
  t.is(inventoryFormat('hosts', '{"web": {"hosts": {"w1": null}}}'), 'yaml');
});

test('a classic extensionless `hosts` file in either format loads the same groups', (t) => {
  const dir = mkdtempSync(join(tmpdir(), 'tasker-inv-'));
  writeFileSync(join(dir, 'hosts'), INI);
  const ini = loadInventory(join(dir, 'hosts'), 'hosts');
  t.is(ini.inventory?.format, 'ini');
  t.deepEqual(hostsOfGroup(ini.inventory!, 'web'), ['web01']);
  writeFileSync(join(dir, 'hosts'), YAML);
  const yaml = loadInventory(join(dir, 'hosts'), 'hosts');
  t.is(yaml.inventory?.format, 'yaml');
  t.deepEqual(hostsOfGroup(yaml.inventory!, 'web'), ['web01']);
  t.is(loadInventory(join(dir, 'missing'), 'missing').problem?.kind, 'missing');
});
