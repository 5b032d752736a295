import test from 'ava';
import { mkdtempSync, rmSync, symlinkSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { formatHostProblem, validateHosts, type ValidateHostsOptions } from '../../../shared/hosts/validate-hosts.js';
import { DEFAULT_HOST_VALIDATION, type HostValidationConfig } from '../../../shared/config/host-validation-config.js';
import { execTypesFromConfig } from '../../../shared/config/exec-types-config.js';
import { defaultRegistry } from '../../../shared/exec/exec-types.js';
import { findBinary } from '../../../shared/exec/find-binary.js';

const fixtures = join(import.meta.dirname, '../../fixtures/bin');
const env = { ...process.env, PATH: `${fixtures}:${process.env['PATH']}` };
const withResolver: HostValidationConfig = { ...DEFAULT_HOST_VALIDATION, resolverCommand: ['op', 'mc_isac', '-f', '{hostname}'] };

function options(over: Partial<ValidateHostsOptions> = {}): ValidateHostsOptions {
  return { registry: defaultRegistry(), hostValidation: DEFAULT_HOST_VALIDATION, checkConnectivity: false, env, ...over };
}

test('localhost and 127.0.0.1 resolve and answer ping', async (t) => {
  const r = await validateHosts(
    [
      { taskId: 1, hostname: 'localhost', execType: 'pbrun' },
      { taskId: 2, hostname: '127.0.0.1', execType: 'p7s' },
      { taskId: 3, hostname: 'localhost', execType: 'wwrs' },
    ],
    options(),
  );
  t.deepEqual(r.problems, []);
  t.true(r.ok);
  t.is(r.fqdn.size, 0);
});

test('local and shell tasks are not checked at all', async (t) => {
  const r = await validateHosts(
    [
      { taskId: 1, hostname: 'nonexistent.invalid', execType: 'local' },
      { taskId: 2, hostname: 'nonexistent.invalid', execType: 'shell' },
      { taskId: 3, hostname: 'nonexistent.invalid', execType: 'bash' },
      { taskId: 4, hostname: '', execType: 'local' },
    ],
    options({ checkConnectivity: true }),
  );
  t.true(r.ok);
  t.deepEqual(r.problems, []);
});

test('an unresolvable host is a dns problem naming every task that uses it, once', async (t) => {
  const r = await validateHosts(
    [
      { taskId: 1, hostname: 'nonexistent.invalid', execType: 'pbrun' },
      { taskId: 2, hostname: 'localhost', execType: 'pbrun' },
      { taskId: 5, hostname: 'nonexistent.invalid', execType: 'p7s' },
    ],
    options(),
  );
  t.false(r.ok);
  t.deepEqual(r.problems, [
    {
      hostname: 'nonexistent.invalid',
      taskIds: [1, 5],
      stage: 'dns',
      message: "cannot resolve 'nonexistent.invalid': no such host in /etc/hosts or DNS",
    },
  ]);
  t.is(
    formatHostProblem(r.problems[0]!),
    "host nonexistent.invalid (tasks 1, 5): dns: cannot resolve 'nonexistent.invalid': no such host in /etc/hosts or DNS",
  );
});

test('a remote task without a hostname is reported', async (t) => {
  const r = await validateHosts([{ taskId: 7, hostname: '', execType: 'pbrun' }], options());
  t.deepEqual(r.problems, [{ hostname: '', taskIds: [7], stage: 'dns', message: 'exec type pbrun needs a hostname, and none is given' }]);
});

test('the fallback resolver gives the FQDN; its failure is a resolver problem', async (t) => {
  const r = await validateHosts(
    [
      { taskId: 1, hostname: 'aliasweb01', execType: 'pbrun' },
      { taskId: 2, hostname: 'nosuchhost.invalid', execType: 'pbrun' },
    ],
    options({ hostValidation: { ...withResolver, ping: false } }),
  );
  t.deepEqual([...r.fqdn], [['aliasweb01', 'aliasweb01.example.internal']]);
  t.deepEqual(r.problems, [
    {
      hostname: 'nosuchhost.invalid',
      taskIds: [2],
      stage: 'resolver',
      message:
        "cannot resolve 'nosuchhost.invalid' (no such host in /etc/hosts or DNS); fallback resolver `op mc_isac -f nosuchhost.invalid` exit 1: op: nosuchhost.invalid not found",
    },
  ]);
});

test('a resolver that is not installed is named', async (t) => {
  const r = await validateHosts(
    [{ taskId: 1, hostname: 'aliasx', execType: 'pbrun' }],
    options({ hostValidation: { ...DEFAULT_HOST_VALIDATION, resolverCommand: ['no-such-resolver-xyz', '{hostname}'] } }),
  );
  t.is(r.problems[0]!.stage, 'resolver');
  t.is(
    r.problems[0]!.message,
    "cannot resolve 'aliasx' (no such host in /etc/hosts or DNS), and the fallback resolver 'no-such-resolver-xyz' is not on PATH",
  );
});

test('ping runs against the resolved FQDN: an FQDN that does not answer is a ping problem', async (t) => {
  const r = await validateHosts([{ taskId: 3, hostname: 'aliasdb', execType: 'wwrs' }], options({ hostValidation: withResolver }));
  t.is(r.fqdn.get('aliasdb'), 'aliasdb.example.internal');
  t.is(r.problems.length, 1);
  t.is(r.problems[0]!.stage, 'ping');
  t.deepEqual(r.problems[0]!.taskIds, [3]);
  t.regex(r.problems[0]!.message, /^'aliasdb\.example\.internal' does not answer ping \(exit 2/);
});

test('missing ping program is a problem naming it, unless ping is switched off', async (t) => {
  const dir = mkdtempSync(join(tmpdir(), 'tasker-noping-'));
  try {
    // A PATH with the fixtures but no ping.
    const noPing = { ...process.env, PATH: `${fixtures}:${dir}` };
    const target = [{ taskId: 1, hostname: 'localhost', execType: 'pbrun' }];
    const r = await validateHosts(target, options({ env: noPing }));
    t.deepEqual(r.problems, [
      {
        hostname: 'localhost',
        taskIds: [1],
        stage: 'ping',
        message: "the program 'ping' is not on PATH; install it (iputils-ping) or set host_validation.ping: false",
      },
    ]);
    const off = await validateHosts(target, options({ env: noPing, hostValidation: { ...DEFAULT_HOST_VALIDATION, ping: false } }));
    t.true(off.ok);
    // And with ping reachable through PATH the same host passes.
    symlinkSync(findBinary('ping', process.env['PATH'])!, join(dir, 'ping'));
    t.true((await validateHosts(target, options({ env: noPing }))).ok);
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }
});

test('connectivity tests run only with checkConnectivity, per exec type, against the FQDN', async (t) => {
  const targets = [
    { taskId: 1, hostname: 'localhost', execType: 'pbrun' },
    { taskId: 2, hostname: 'localhost', execType: 'p7s' },
    { taskId: 3, hostname: 'localhost', execType: 'wwrs' },
    { taskId: 4, hostname: 'aliasgood', execType: 'pbrun' },
    { taskId: 5, hostname: 'aliasbad', execType: 'pbrun' },
    { taskId: 6, hostname: 'aliasfail', execType: 'wwrs' },
    { taskId: 7, hostname: 'aliasfail', execType: 'p7s' },
  ];
  const hv = { ...withResolver, ping: false };
  const without = await validateHosts(targets, options({ hostValidation: hv }));
  t.true(without.ok);
  const withTests = await validateHosts(targets, options({ hostValidation: hv, checkConnectivity: true }));
  t.deepEqual(withTests.problems, [
    {
      hostname: 'aliasbad',
      taskIds: [5],
      stage: 'connectivity',
      message: 'connectivity test `pbrun -n -h aliasbad.example.internal pbtest` exited 1, expected 0: pbrun: connection to aliasbad.example.internal failed',
    },
    {
      hostname: 'aliasfail',
      taskIds: [6],
      stage: 'connectivity',
      message:
        'connectivity test `wwrs_clir aliasfail.example.internal wwrs_test` exited 2, expected 0: wwrs_clir: authentication failed for aliasfail.example.internal',
    },
    {
      hostname: 'aliasfail',
      taskIds: [7],
      stage: 'connectivity',
      message: 'connectivity test `p7s aliasfail.example.internal pbtest` exited 1, expected 0: p7s: connection to aliasfail.example.internal failed',
    },
  ]);
});

test('connectivity: expected output is checked, the timeout is enforced, a missing binary is named', async (t) => {
  const { registry, diagnostics } = execTypesFromConfig({
    exec_types: {
      picky: {
        template: ['pbrun', '-n', '-h', '{hostname}', '{command}', '{arguments_split}'],
        connectivity_test: { command: 'pbtest', expected_exit: 0, expected_output: 'WELCOME' },
      },
      ghost: { binary: 'no-such-remote-tool', template: ['no-such-remote-tool', '{hostname}', '{command}'], connectivity_test: { command: 't', expected_exit: 0 } },
    },
  });
  t.deepEqual(diagnostics, []);
  const hv = { ...DEFAULT_HOST_VALIDATION, ping: false };
  const r = await validateHosts(
    [
      { taskId: 1, hostname: 'localhost', execType: 'picky' },
      { taskId: 2, hostname: 'localhost', execType: 'ghost' },
    ],
    { registry, hostValidation: hv, checkConnectivity: true, env },
  );
  t.deepEqual(r.problems.map((p) => [p.taskIds[0], p.stage, p.message]), [
    [1, 'connectivity', "connectivity test `pbrun -n -h localhost pbtest` did not print 'WELCOME' (stdout: 'pbtest OK')"],
    [2, 'connectivity', "exec type 'ghost' needs the program 'no-such-remote-tool', which is not on PATH; install it or use exec=local"],
  ]);

  const slow = await validateHosts(
    [{ taskId: 9, hostname: 'aliasslow', execType: 'pbrun' }],
    options({ hostValidation: { ...withResolver, ping: false }, checkConnectivity: true, timeoutMs: 300 }),
  );
  t.deepEqual(slow.problems, [
    {
      hostname: 'aliasslow',
      taskIds: [9],
      stage: 'connectivity',
      message: 'connectivity test `pbrun -n -h aliasslow.example.internal pbtest` timed out after 0.3 s',
    },
  ]);
});

test('exec type binary not on PATH makes the connectivity test fail clearly', async (t) => {
  const r = await validateHosts(
    [{ taskId: 4, hostname: 'localhost', execType: 'pbrun' }],
    options({ env: { ...process.env, PATH: '/usr/bin:/bin' }, checkConnectivity: true }),
  );
  t.deepEqual(r.problems.map((p) => p.message), [
    "exec type 'pbrun' needs the program 'pbrun', which is not on PATH; install it or use exec=local",
  ]);
});

test('many hosts are checked with bounded concurrency and results stay in input order', async (t) => {
  const targets = Array.from({ length: 40 }, (_, i) => ({
    taskId: i + 1,
    hostname: i % 2 === 0 ? `alias${i}` : `missing${i}.invalid`,
    execType: 'pbrun',
  }));
  const r = await validateHosts(targets, options({ hostValidation: { ...withResolver, ping: false }, concurrency: 4 }));
  t.is(r.fqdn.size, 20);
  t.deepEqual(
    r.problems.map((p) => p.taskIds[0]),
    targets.filter((_, i) => i % 2 === 1).map((x) => x.taskId),
  );
  t.true(r.problems.every((p) => p.stage === 'resolver'));
});

test('unknown exec types are left to the task-file validator', async (t) => {
  const r = await validateHosts([{ taskId: 1, hostname: 'nonexistent.invalid', execType: 'nosuch' }], options());
  t.true(r.ok);
});

test('user@host:port is checked on its host part; the connectivity test gets the text as written', async (t) => {
  const r = await validateHosts(
    [
      { taskId: 1, hostname: 'ops@localhost:2222', execType: 'pbrun' },
      { taskId: 2, hostname: 'bad@127.0.0.1:22', execType: 'pbrun' },
      { taskId: 3, hostname: 'ops@[::1]:22', execType: 'pbrun' },
      { taskId: 4, hostname: 'web01:99999', execType: 'pbrun' },
      { taskId: 5, hostname: 'ops@nonexistent.invalid:22', execType: 'p7s' },
    ],
    options({ checkConnectivity: true }),
  );
  t.deepEqual(r.problems.map(formatHostProblem), [
    // The fixture pbtest fails for hosts containing "bad": it was given the whole text.
    'host bad@127.0.0.1:22 (task 2): connectivity: connectivity test `pbrun -n -h bad@127.0.0.1:22 pbtest` exited 1, expected 0: pbrun: connection to bad@127.0.0.1:22 failed',
    "host web01:99999 (task 4): address: port '99999' in 'web01:99999' must be 1-65535",
    "host ops@nonexistent.invalid:22 (task 5): dns: cannot resolve 'nonexistent.invalid': no such host in /etc/hosts or DNS",
  ]);
});

test('a host found by the fallback resolver keeps its user and port: ping goes to the FQDN', async (t) => {
  const r = await validateHosts([{ taskId: 1, hostname: 'ops@aliasdb:2222', execType: 'wwrs' }], options({ hostValidation: withResolver }));
  t.is(r.fqdn.get('ops@aliasdb:2222'), 'ops@aliasdb.example.internal:2222');
  t.regex(r.problems[0]!.message, /^'aliasdb\.example\.internal' does not answer ping/);
});
