/** hostnames= selection: names, @groups, lists, exclusions, and what needs an inventory. */
import test from 'ava';
import { parseIniInventory, selectHosts } from '../../../shared/inventory/index.js';

const { inventory } = parseIniInventory('[web]\nweb[01:04]\n[db]\ndb1\ndb2\n[canary]\nweb02\n[prod:children]\nweb\ndb\n', 'hosts.ini');

test('a group, lists of groups, names mixed in, each host once in first-named order', (t) => {
  t.deepEqual(selectHosts('@web', inventory).hosts, ['web01', 'web02', 'web03', 'web04']);
  t.deepEqual(selectHosts('@db, @web', inventory).hosts, ['db1', 'db2', 'web01', 'web02', 'web03', 'web04']);
  t.deepEqual(selectHosts('extra1,@db,db1,extra2', inventory).hosts, ['extra1', 'db1', 'db2', 'extra2']);
  t.deepEqual(selectHosts('@prod', inventory).hosts, ['web01', 'web02', 'web03', 'web04', 'db1', 'db2']);
  t.deepEqual(selectHosts('@all', inventory).hosts, ['web01', 'web02', 'web03', 'web04', 'db1', 'db2']);
});

test('exclusions: a host or a group, wherever written', (t) => {
  t.deepEqual(selectHosts('@web,!web03', inventory).hosts, ['web01', 'web02', 'web04']);
  t.deepEqual(selectHosts('!web03,@web', inventory).hosts, ['web01', 'web02', 'web04']);
  t.deepEqual(selectHosts('@prod,!@db,!@canary', inventory).hosts, ['web01', 'web03', 'web04']);
  t.deepEqual(selectHosts('a,b,!b', undefined).hosts, ['a']);
});

test('an exclusion that matches nothing selected is a warning at its offset', (t) => {
  const s = selectHosts('@db,!web09', inventory);
  t.deepEqual(s.hosts, ['db1', 'db2']);
  t.deepEqual(s.problems.map((p) => [p.code, p.severity, p.offset, p.length]), [['NOT_SELECTED', 'warning', 4, 6]]);
});

test('an unknown group is an error at its offset, with a suggestion', (t) => {
  const s = selectHosts('web01, @webb', inventory);
  t.deepEqual(s.problems.map((p) => [p.code, p.offset, p.length, p.hint]), [['UNKNOWN_GROUP', 7, 5, "did you mean '@web'?"]]);
  const excluded = selectHosts('@web,!@dbs', inventory);
  t.deepEqual(excluded.problems.map((p) => [p.code, p.offset]), [['UNKNOWN_GROUP', 6]]);
});

test('@group without an inventory is INVENTORY_REQUIRED; plain names need none', (t) => {
  const s = selectHosts('web01,@web', undefined);
  t.deepEqual(s.problems.map((p) => [p.code, p.offset]), [['INVENTORY_REQUIRED', 6]]);
  t.true(s.usesGroups);
  const plain = selectHosts('web01,web02', undefined);
  t.deepEqual(plain.problems, []);
  t.false(plain.usesGroups);
  t.deepEqual(plain.literals, [{ name: 'web01', offset: 0 }, { name: 'web02', offset: 6 }]);
});

test('a plain name written twice runs twice (the peer\'s lists); a host that groups bring is selected once', (t) => {
  t.deepEqual(selectHosts('localhost,localhost', undefined).hosts, ['localhost', 'localhost']);
  t.deepEqual(selectHosts('@web,@prod,@canary', inventory).hosts, ['web01', 'web02', 'web03', 'web04', 'db1', 'db2']);
  t.deepEqual(selectHosts('a,a,!a,b', undefined).hosts, ['b']);
});
