/** Host validation of inventory hosts: the address (ansible_host) is resolved, pinged and tested; problems name both. */
import test from 'ava';
import { join } from 'node:path';
import { formatHostProblem, validateHosts } from '../../../shared/hosts/validate-hosts.js';
import { DEFAULT_HOST_VALIDATION } from '../../../shared/config/host-validation-config.js';
import { defaultRegistry } from '../../../shared/exec/exec-types.js';

const fixtures = join(import.meta.dirname, '../../fixtures/bin');
const env = { ...process.env, PATH: `${fixtures}:${process.env['PATH']}` };
const options = { registry: defaultRegistry(), hostValidation: DEFAULT_HOST_VALIDATION, checkConnectivity: true, env };

test('a name that does not resolve passes when its address does (and the connectivity test runs against the address)', async (t) => {
  const r = await validateHosts([
    { taskId: 1, hostname: 'web01.invalid', execType: 'pbrun', address: '127.0.0.1' },
    { taskId: 1, hostname: 'web02.invalid', execType: 'ssh', address: 'localhost' },
  ], options);
  t.deepEqual(r.problems, []);
  t.true(r.ok);
});

test('an address that does not resolve fails, and the problem names the host and the address', async (t) => {
  const r = await validateHosts([{ taskId: 4, hostname: 'web01', execType: 'pbrun', address: 'nowhere.invalid' }], options);
  t.false(r.ok);
  t.is(r.problems.length, 1);
  t.is(r.problems[0]!.address, 'nowhere.invalid');
  t.regex(formatHostProblem(r.problems[0]!), /^host web01 at nowhere\.invalid \(task 4\): dns: .*nowhere\.invalid/);
});

test('the resolver and the connectivity test get the address: a "bad" address fails pbtest even under a good name', async (t) => {
  // The fixture resolver answers for names starting with "alias"; the fixture pbtest fails hosts containing "bad".
  const hostValidation = { ...DEFAULT_HOST_VALIDATION, ping: false, resolverCommand: ['op', 'mc_isac', '-f', '{hostname}'] };
  const r = await validateHosts([{ taskId: 2, hostname: 'good', execType: 'pbrun', address: 'alias-bad' }], { ...options, hostValidation });
  t.deepEqual(r.problems.map((p) => [p.hostname, p.address, p.stage]), [['good', 'alias-bad', 'connectivity']]);
  t.regex(r.problems[0]!.message, /alias-bad\.example\.internal/);
});
