// Built bin: the installer ships dist/ and the installed tasker-agent bundle runs from it.
import test from 'ava';
import { execFileSync } from 'node:child_process';
import { chmodSync, existsSync, mkdirSync, readdirSync, readFileSync, statSync } from 'node:fs';
import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { createAgentExecutor } from '../../controller/executors/agent-executor.js';
import { startSshd, type TestSshd } from '../helpers/sshd.js';
import { eventually, runAgentCli } from '../helpers/agent-process.js';

const root = join(import.meta.dirname, '..', '..');
const SYSTEMD_FIXTURES = join(root, 'test', 'fixtures', 'systemd', 'bin');
const tempDirs: string[] = [];
let sshd: TestSshd;
let prefix: string;
const pidsToStop: number[] = [];

test.before(async () => {
  // The installer ships dist/: build it when a plain `ava` run has none (npm test builds first).
  if (!existsSync(join(root, 'dist', 'agent', 'cli', 'tasker-agent.cjs'))) {
    try {
      execFileSync(process.execPath, [join(root, 'node_modules', 'typescript', 'bin', 'tsc'), '-p', join(root, 'tsconfig.json')], { stdio: 'ignore' });
    } catch {
      // type errors elsewhere still emit; the existence check below decides
    }
    execFileSync(process.execPath, [join(root, 'scripts', 'bundle-cli.mjs')], { stdio: 'ignore' });
  }
  sshd = await startSshd();
  prefix = await mkdtemp(join(tmpdir(), 'tasker-install-'));
});

test.after.always(async () => {
  for (const pid of pidsToStop) terminate(pid);
  await sshd?.stop();
  if (prefix) await rm(prefix, { recursive: true, force: true });
  for (const d of tempDirs) await rm(d, { recursive: true, force: true });
});

/** SIGTERM to an agent this file started; one that is already gone is fine. */
function terminate(pid: number): void {
  try {
    process.kill(pid, 'SIGTERM');
  } catch {
    // already gone
  }
}

/** Run an installed agent's task through the tunnel to its Unix socket and return its stdout. */
async function runThroughTunnel(s: TestSshd, socket: string, command: string, args: string, user = s.user, execType = 'local'): Promise<string> {
  const ex = createAgentExecutor({
    name: 'installed',
    kind: 'ssh',
    ssh: { host: s.host, port: s.port, user, identity: s.identity, knownHosts: s.knownHosts },
    socket,
  });
  try {
    const res = await ex.execute({ runId: 'install', taskId: '1', execType, hostname: 'localhost', command, arguments: args, timeoutMs: 10_000 });
    if (res.exitCode !== 0) throw new Error(`task failed (${res.exitCode}): ${res.stderr}`);
    return res.stdout;
  } finally {
    await ex.close();
  }
}

/**
 * Which sandboxing options systemd itself finds in effect for a unit file (drop-ins in
 * UNIT.d/ next to it included): `systemd-analyze security --offline`.
 */
function sandboxing(unitPath: string): Record<string, string | undefined> {
  const out = execFileSync('systemd-analyze', ['security', '--offline=true', '--json=short', '--no-pager', unitPath], { encoding: 'utf8' });
  const rows = JSON.parse(out) as { json_field: string; description: string }[];
  return Object.fromEntries(SANDBOXING.map((f) => [f, rows.find((r) => r.json_field === f)?.description]));
}
const SANDBOXING = ['ProtectSystem', 'ProtectHome', 'PrivateTmp', 'ProtectControlGroups', 'UMask'];
/** systemd's words for the default unit: tasks may do what the service user may. */
const UNRESTRICTED = {
  ProtectSystem: 'Service has full access to the OS file hierarchy',
  ProtectHome: 'Service has full access to home directories',
  PrivateTmp: "Service has access to other software's temporary files",
  ProtectControlGroups: 'Service may modify the control group file system',
  UMask: 'Files created by service are world-readable by default',
};
/** …and with the hardening drop-in. */
const HARDENED = {
  ProtectSystem: 'Service has very limited write access to the OS file hierarchy',
  ProtectHome: 'Service has read-only access to home directories',
  PrivateTmp: "Service has no access to other software's temporary files",
  ProtectControlGroups: 'Service cannot modify the control group file system',
  UMask: 'Files created by service are group-readable by default',
};

/**
 * The systemd host the installer expects, without systemd: sshd runs in a private mount namespace
 * where /run is private and /run/systemd/system exists (systemd's "booted" marker), /etc is an overlay (the unit file
 * and the new service user land in the overlay, not on this machine), and the sessions find the
 * fixture `systemctl`/`journalctl` first on PATH. The fixture systemctl starts the unit's ExecStart
 * as its User=, so the agent really runs and the installer's health check goes through the tunnel.
 */
async function startSystemdLikeSshd(fixtureDir: string, etcUpper: string, etcWork: string, extraSetup: string[] = []): Promise<TestSshd> {
  const setup = [
    `mount -t overlay overlay -o lowerdir=/etc,upperdir=${etcUpper},workdir=${etcWork} /etc`,
    // A private /run, as a booted host has: RuntimeDirectory= (the agent's socket) lands there.
    'mount -t tmpfs tmpfs /run',
    'mkdir -p /run/sshd /run/systemd/system /etc/systemd/system',
    ...extraSetup,
    'exec "$@"',
  ].join(' && ');
  return startSshd({
    pathPrefix: [SYSTEMD_FIXTURES],
    env: { SYSTEMCTL_FIXTURE_DIR: fixtureDir },
    wrap: (argv) => ['unshare', '--mount', '--propagation', 'private', '/bin/sh', '-c', setup, 'sh', ...argv],
  });
}

test('install as root on a systemd host: service user, unit file, enable + restart, and the agent answers through the tunnel', async (t) => {
  if (process.getuid?.() !== 0) {
    t.fail('this test needs root: it runs sshd in a private mount namespace (unshare, overlay /etc) to stand in for a systemd host; run the tests as root (CI does)');
    return;
  }
  t.true(existsSync(join(root, 'dist', 'agent', 'cli', 'tasker-agent.js')), 'dist/ must be built');
  const base = await mkdtemp(join(tmpdir(), 'tasker-install-systemd-'));
  tempDirs.push(base);
  const fixtureDir = join(base, 'systemctl');
  const etcUpper = join(base, 'etc-upper');
  const etcWork = join(base, 'etc-work');
  const target = join(base, 'opt');
  for (const d of [fixtureDir, etcUpper, etcWork, target]) mkdirSync(d);
  chmodSync(base, 0o755); // the service user must reach PREFIX, as it can /opt/tasker-agent
  const s = await startSystemdLikeSshd(fixtureDir, etcUpper, etcWork);
  const socket = '/run/tasker-agent/agent.sock'; // in sshd's private /run
  let agentPid = 0;
  try {
    const r = await runAgentCli([
      'install', '--ssh', `${s.user}@127.0.0.1`, '--port', String(s.port), '--identity', s.identity,
      '--known-hosts', s.knownHosts, '--prefix', target,
    ]);
    const pidfile = join(fixtureDir, 'tasker-agent.pid');
    if (existsSync(pidfile)) agentPid = Number(readFileSync(pidfile, 'utf8'));
    t.is(r.code, 0, r.stderr + r.stdout);
    t.regex(r.stdout, /systemd unit tasker-agent\.service installed, enabled and \(re\)started as user tasker-agent/);
    t.regex(r.stdout, /healthy \(SERVING\), version 0\.1\.0/);
    t.regex(r.stdout, new RegExp(`installed tasker-agent 0\\.1\\.0 in ${target} \\(systemd\\); it listens on unix:${socket}`));
    t.regex(r.stdout, /listen unix:\/run\/tasker-agent\/agent\.sock, Unix socket, only its user \(and root\) can connect/);
    t.notRegex(r.stdout, /nohup/);
    t.is(readFileSync(join(fixtureDir, 'calls'), 'utf8'), 'daemon-reload\nenable tasker-agent\nrestart tasker-agent\n');

    // The unit, filled in, where systemd reads it (in the overlay); the user was created there too.
    const unit = readFileSync(join(etcUpper, 'systemd', 'system', 'tasker-agent.service'), 'utf8');
    t.notRegex(unit, /@[A-Z]+@/, 'no placeholder left');
    t.regex(unit, /^User=tasker-agent$/m);
    t.regex(unit, /^Group=tasker-agent$/m);
    t.regex(unit, new RegExp(`^ExecStart=\\S*node ${target}/app/dist/agent/cli/tasker-agent\\.js serve --config ${target}/etc/agent\\.yaml$`, 'm'));
    t.regex(unit, /^RuntimeDirectory=tasker-agent$/m);
    t.regex(unit, /^RuntimeDirectoryMode=0700$/m);
    // Nothing in the default unit restricts what tasks may do (issue 15, item 6), as systemd reads it.
    const unitPath = join(etcUpper, 'systemd', 'system', 'tasker-agent.service');
    t.deepEqual(sandboxing(unitPath), UNRESTRICTED);
    t.notRegex(unit, /^(ProtectSystem|ProtectHome|PrivateTmp|ProtectControlGroups|ReadWritePaths|ReadOnlyPaths|UMask)=/m);
    t.false(existsSync(join(etcUpper, 'systemd', 'system', 'tasker-agent.service.d')), 'no drop-in without --hardening');
    t.is(readFileSync(join(target, 'etc', 'agent.yaml'), 'utf8'), `agent:\n  listen: "unix:${socket}"\n  allow_exec: [pbrun, p7s, wwrs, local]\n`);
    const passwd = readFileSync(join(etcUpper, 'passwd'), 'utf8');
    const uid = Number(/^tasker-agent:x:(\d+):/m.exec(passwd)?.[1]);
    t.true(uid > 0, 'the service user exists (in the overlay /etc)');

    // The agent runs as that user and serves tasks through the tunnel.
    t.true(agentPid > 0);
    t.regex(readFileSync(`/proc/${agentPid}/status`, 'utf8'), new RegExp(`^Uid:\\s+${uid}\\s`, 'm'));
    t.is(await runThroughTunnel(s, socket, 'id', '-un'), 'tasker-agent\n');
    // The socket and its directory belong to the service user, closed to everyone else.
    const ls = execFileSync('nsenter', ['-t', String(s.pid), '-m', 'stat', '-c', '%a %u %F', '/run/tasker-agent', socket], { encoding: 'utf8' });
    t.is(ls, `700 ${uid} directory\n600 ${uid} socket\n`);

    // A second install (upgrade) restarts the unit: the old agent is stopped, a new one answers.
    const again = await runAgentCli([
      'install', '--ssh', `${s.user}@127.0.0.1`, '--port', String(s.port), '--identity', s.identity,
      '--known-hosts', s.knownHosts, '--prefix', target,
    ]);
    t.is(again.code, 0, again.stderr);
    const newPid = Number(readFileSync(pidfile, 'utf8'));
    t.not(newPid, agentPid);
    await eventually(() => !existsSync(`/proc/${agentPid}`) || /^State:\s+Z/m.test(readFileSync(`/proc/${agentPid}/status`, 'utf8')));
    agentPid = newPid;
    t.is(readFileSync(join(fixtureDir, 'calls'), 'utf8').split('\n').filter((l) => l === 'restart tasker-agent').length, 2);
    t.is(await runThroughTunnel(s, socket, 'echo', 'upgraded'), 'upgraded\n');

    // --hardening adds the drop-in (prefix filled in); systemd then applies the sandboxing.
    const hardened = await runAgentCli([
      'install', '--ssh', `${s.user}@127.0.0.1`, '--port', String(s.port), '--identity', s.identity,
      '--known-hosts', s.knownHosts, '--prefix', target, '--hardening',
    ]);
    t.is(hardened.code, 0, hardened.stderr + hardened.stdout);
    agentPid = Number(readFileSync(pidfile, 'utf8'));
    t.regex(hardened.stdout, /hardening drop-in \/etc\/systemd\/system\/tasker-agent\.service\.d\/hardening\.conf installed/);
    const dropIn = readFileSync(join(etcUpper, 'systemd', 'system', 'tasker-agent.service.d', 'hardening.conf'), 'utf8');
    t.regex(dropIn, /^# Written by `tasker-agent install --hardening`/);
    t.regex(dropIn, new RegExp(`^ReadWritePaths=${target}/log ${target}/run$`, 'm'));
    t.notRegex(dropIn, /@[A-Z]+@/);
    t.deepEqual(sandboxing(unitPath), HARDENED);

    // An install without --hardening takes it away again: the unit is back to its default.
    const plain = await runAgentCli([
      'install', '--ssh', `${s.user}@127.0.0.1`, '--port', String(s.port), '--identity', s.identity,
      '--known-hosts', s.knownHosts, '--prefix', target,
    ]);
    t.is(plain.code, 0, plain.stderr + plain.stdout);
    agentPid = Number(readFileSync(pidfile, 'utf8'));
    t.regex(plain.stdout, /removed the hardening drop-in/);
    t.false(existsSync(join(etcUpper, 'systemd', 'system', 'tasker-agent.service.d', 'hardening.conf')));
    t.deepEqual(sandboxing(unitPath), UNRESTRICTED);
  } finally {
    if (agentPid) terminate(agentPid);
    await s.stop();
  }
});

test('install over SSH places the package, writes config, starts the agent (nohup without systemd) and it answers', async (t) => {
  t.true(existsSync(join(root, 'dist', 'agent', 'cli', 'tasker-agent.js')), 'dist/ must be built');
  const socket = join(prefix, 'run', 'agent.sock');
  const r = await runAgentCli([
    'install', '--ssh', `${sshd.user}@127.0.0.1`, '--port', String(sshd.port), '--identity', sshd.identity,
    '--known-hosts', sshd.knownHosts, '--prefix', prefix,
  ]);
  const pidfile = join(prefix, 'run', 'agent.pid');
  if (existsSync(pidfile)) pidsToStop.push(Number(readFileSync(pidfile, 'utf8')));
  t.is(r.code, 0, r.stderr);
  t.regex(r.stdout, /no systemd on this host; starting the agent with setsid nohup/);
  t.regex(r.stdout, /healthy \(SERVING\), version 0\.1\.0/);
  t.true(existsSync(join(prefix, 'app', 'dist', 'agent', 'cli', 'tasker-agent.js')));
  // One bundle (+ proto), independent of the controller's architecture: no node_modules, no prebuilt binary.
  t.true(existsSync(join(prefix, 'app', 'dist', 'agent', 'cli', 'tasker-agent.cjs')));
  t.true(existsSync(join(prefix, 'app', 'proto', 'agent.proto')));
  t.false(existsSync(join(prefix, 'app', 'node_modules')), 'no node_modules is shipped');
  t.deepEqual(readdirSync(join(prefix, 'app', 'dist')).sort(), existsSync(join(prefix, 'app', 'dist', 'native')) ? ['agent', 'native'] : ['agent']);
  t.regex(r.stdout, /process launcher (built on the host|not built \(.+\); the agent uses Node's spawn)/);
  t.is(readFileSync(join(prefix, 'etc', 'agent.yaml'), 'utf8'), `agent:\n  listen: "unix:${socket}"\n  allow_exec: [pbrun, p7s, wwrs, local]\n`);
  t.regex(r.stdout, /exec types pbrun, p7s, wwrs, local\)/);
  t.is(statSync(join(prefix, 'run')).mode & 0o777, 0o700);
  t.is(statSync(socket).mode & 0o777, 0o600);
  // The documented nohup way: pid in PREFIX/run/agent.pid, log in PREFIX/log/agent.log, own session.
  const pid = Number(readFileSync(pidfile, 'utf8'));
  t.regex(r.stdout, new RegExp(`agent started, pid ${pid}`));
  t.is(readFileSync(`/proc/${pid}/cmdline`, 'utf8').split('\0').slice(1, 5).join(' '), `${join(prefix, 'app', 'dist', 'agent', 'cli', 'tasker-agent.js')} serve --config ${join(prefix, 'etc', 'agent.yaml')}`);
  const sid = Number(readFileSync(`/proc/${pid}/stat`, 'utf8').split(') ')[1]!.split(' ')[3]);
  t.is(sid, pid, 'setsid: the agent leads its own session');
  t.true(existsSync(join(prefix, 'log', 'agent.log')));
  // The agent's log is its own: 0600 in a 0700 directory, whatever the login's umask.
  t.is(statSync(join(prefix, 'log', 'agent.log')).mode & 0o777, 0o600);
  t.is(statSync(join(prefix, 'log')).mode & 0o777, 0o700);

  // The installed agent runs tasks through the tunnel like any configured agent.
  const ex = createAgentExecutor({
    name: 'installed',
    kind: 'ssh',
    ssh: { host: '127.0.0.1', port: sshd.port, user: sshd.user, identity: sshd.identity, knownHosts: sshd.knownHosts },
    socket,
  });
  try {
    const res = await ex.execute({
      runId: 'install', taskId: '1', execType: 'local', hostname: 'localhost', command: 'echo', arguments: 'installed ok', timeoutMs: 10_000,
    });
    t.is(res.stdout, 'installed ok\n');
    t.is(res.exitCode, 0);
    // The installed agent refuses exec=shell unless --allow-exec lists it.
    const shell = await ex.execute({
      runId: 'install', taskId: '2', execType: 'shell', hostname: 'localhost', command: 'echo', arguments: 'via bash', timeoutMs: 10_000,
    });
    t.not(shell.exitCode, 0);
    t.regex(shell.stderr, /exec_type `shell` is not allowed on this agent \(allowed: pbrun, p7s, wwrs, local\)/);
  } finally {
    await ex.close();
  }

  // --hardening needs the systemd unit: refused here (no systemd), before anything is replaced.
  const hardening = await runAgentCli([
    'install', '--ssh', `${sshd.user}@127.0.0.1`, '--port', String(sshd.port), '--identity', sshd.identity,
    '--known-hosts', sshd.knownHosts, '--prefix', prefix, '--hardening',
  ]);
  t.is(hardening.code, 1);
  t.regex(hardening.stderr, /--hardening adds a drop-in to the systemd unit, and this install gets no unit \(no systemd on this host\); drop --hardening or install as root on a systemd host/);
  t.is(Number(readFileSync(pidfile, 'utf8')), pid, 'the running agent was left alone');

  // --allow-exec is written as given; the re-installed agent then runs exec=shell. (--ssh USER@HOST:PORT.)
  const again = await runAgentCli([
    'install', '--ssh', `${sshd.user}@127.0.0.1:${sshd.port}`, '--identity', sshd.identity,
    '--known-hosts', sshd.knownHosts, '--prefix', prefix, '--allow-exec', 'local,shell',
  ]);
  pidsToStop.push(Number(readFileSync(pidfile, 'utf8')));
  t.is(again.code, 0, again.stderr);
  t.is(readFileSync(join(prefix, 'etc', 'agent.yaml'), 'utf8'), `agent:\n  listen: "unix:${socket}"\n  allow_exec: [local, shell]\n`);
  t.is(await runThroughTunnel(sshd, socket, 'echo', 'via bash', sshd.user, 'shell'), 'via bash\n');
  await t.throwsAsync(runThroughTunnel(sshd, socket, 'id', '', sshd.user, 'pbrun'), { message: /exec_type `pbrun` is not allowed on this agent \(allowed: local, shell\)/ });
});

test('install --allow-exec takes the agent\'s exec types only, by their names', async (t) => {
  const alias = await runAgentCli(['install', '--ssh', 'ops@jump2', '--allow-exec', 'local,bash']);
  t.is(alias.code, 2);
  t.regex(alias.stderr, /--allow-exec: unknown exec type `bash` \(an agent runs: local, shell, pbrun, p7s, wwrs\)\nusage: tasker-agent install/);
  const none = await runAgentCli(['install', '--ssh', 'ops@jump2', '--allow-exec', ',']);
  t.is(none.code, 2);
  t.regex(none.stderr, /--allow-exec needs at least one exec type/);
});

test('install --ssh takes USER@HOST[:PORT]; a port given twice must agree', async (t) => {
  const both = await runAgentCli(['install', '--ssh', 'ops@jump2:2222', '--port', '22']);
  t.is(both.code, 2);
  t.regex(both.stderr, /--ssh ops@jump2:2222 says port 2222 and --port says 22; give one/);
  const bad = await runAgentCli(['install', '--ssh', 'ops@jump2:0']);
  t.is(bad.code, 2);
  t.regex(bad.stderr, /--ssh must be USER@HOST\[:PORT\]: port '0' in 'ops@jump2:0' must be 1-65535/);
});

test('install reports a usage error naming the flag', async (t) => {
  const r = await runAgentCli(['install', '--port', '22']);
  t.is(r.code, 2);
  t.regex(r.stderr, /--ssh USER@HOST is required\nusage: tasker-agent install --ssh/);
});

test('install: a plaintext TCP agent must be asked for (--insecure-loopback); the default is a Unix socket', async (t) => {
  const r = await runAgentCli(['install', '--ssh', 'ops@jump2', '--listen-port', '50051']);
  t.is(r.code, 2);
  t.regex(r.stderr, /--listen-port\/--listen-host make a TCP agent: give --tls-ca\/--tls-cert\/--tls-key \(mutual TLS\), or --insecure-loopback .*the default is a Unix socket \(--socket PATH\)/);
  const rel = await runAgentCli(['install', '--ssh', 'ops@jump2', '--socket', 'run/a.sock']);
  t.is(rel.code, 2);
  t.regex(rel.stderr, /--socket must be an absolute path on the host, got `run\/a\.sock`/);
});

test('install as a non-root user on a systemd host: says so, starts the agent with setsid nohup, and it answers', async (t) => {
  if (process.getuid?.() !== 0) {
    t.fail('this test needs root: it runs sshd in a private mount namespace (unshare, overlay /etc) with a user created there; run the tests as root (CI does)');
    return;
  }
  const base = await mkdtemp(join(tmpdir(), 'tasker-install-user-'));
  tempDirs.push(base);
  const fixtureDir = join(base, 'systemctl');
  const etcUpper = join(base, 'etc-upper');
  const etcWork = join(base, 'etc-work');
  for (const d of [fixtureDir, etcUpper, etcWork]) mkdirSync(d);
  chmodSync(base, 0o755);
  const home = join(base, 'home');
  // The operator account exists only in the namespace's /etc (the overlay), like on the jumphost.
  const s = await startSystemdLikeSshd(fixtureDir, etcUpper, etcWork, [
    // '*' instead of useradd's '!': no password login, but not a locked account (sshd refuses those).
    `useradd --create-home --home-dir ${home} --shell /bin/sh --password '*' tasker-op`,
  ]);
  chmodSync(s.dir, 0o755); // sshd reads authorized_keys as the user logging in
  const target = join(home, 'agent');
  let agentPid = 0;
  try {
    const r = await runAgentCli([
      'install', '--ssh', 'tasker-op@127.0.0.1', '--port', String(s.port), '--identity', s.identity,
      '--known-hosts', s.knownHosts, '--prefix', target,
    ]);
    const pidfile = join(target, 'run', 'agent.pid');
    if (existsSync(pidfile)) agentPid = Number(readFileSync(pidfile, 'utf8'));
    t.is(r.code, 0, r.stderr + r.stdout);
    t.regex(r.stdout, /systemd is present but we are not root \(tasker-op\); starting the agent with setsid nohup instead/);
    t.regex(r.stdout, /healthy \(SERVING\), version 0\.1\.0/);
    t.regex(r.stdout, new RegExp(`installed tasker-agent 0\\.1\\.0 in ${target} \\(nohup, pid ${agentPid}\\)`));
    t.false(existsSync(join(fixtureDir, 'calls')), 'systemctl was not called');
    t.false(existsSync(join(etcUpper, 'systemd', 'system', 'tasker-agent.service')), 'no unit written');
    t.is(await runThroughTunnel(s, join(target, 'run', 'agent.sock'), 'id', '-un', 'tasker-op'), 'tasker-op\n');
  } finally {
    if (agentPid) terminate(agentPid);
    await s.stop();
  }
});
