/**
 * exec=ssh as configured (issue 15, item 2), with host validation ON: the config's `ssh:` section
 * alone (non-22 port, identity, known_hosts), `user@host:port` in hostname= and in a hostnames=
 * list, IPv6 `[::1]:PORT`, and per-host settings (`ssh.hosts`). Real sshd on loopback, real tasker.
 */
import test from 'ava';
import { chmodSync, readFileSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { tempDir } from '../../helpers/run-cli.js';
import { runTaskerInProcess } from '../../helpers/tasker.js';
import { startSshd, type TestSshd } from '../../helpers/sshd.js';

let sshd: TestSshd;
let sshd6: TestSshd;
test.before(async () => {
  sshd = await startSshd();
  sshd6 = await startSshd({ host: '::1' });
});
test.after.always(async () => {
  await sshd?.stop();
  await sshd6?.stop();
});

interface Json {
  task_results: Record<string, { stdout: string; exit_code: number }>;
}

/** Run `text` as f.txt with `config` as tasker.yaml; host validation stays on. */
async function run(config: string, text: string, extra: string[] = [], env: NodeJS.ProcessEnv = {}) {
  const dir = tempDir('tasker-ssh-hosts-');
  writeFileSync(join(dir, 'tasker.yaml'), config);
  writeFileSync(join(dir, 'f.txt'), text);
  const r = await runTaskerInProcess(['-r', '--config', 'tasker.yaml', '-l', join(dir, 'logs'), '--output-json', 'o.json', ...extra, 'f.txt'], { cwd: dir, env });
  const out = r.stdout + r.stderr;
  let json: Json | undefined;
  try {
    json = JSON.parse(readFileSync(join(dir, 'o.json'), 'utf8')) as Json;
  } catch {
    json = undefined;
  }
  return { code: r.code, out, json, dir };
}

const sshSection = (s: TestSshd, indent = '  ') =>
  `${indent}user: ${s.user}\n${indent}port: ${s.port}\n${indent}identity: "${s.identity}"\n${indent}known_hosts: "${s.knownHosts}"\n`;

test('exec=ssh with only the config ssh: section (port, identity, known_hosts) runs with host validation on', async (t) => {
  const r = await run(`ssh:\n${sshSection(sshd)}`, 'task=0\nhostname=127.0.0.1\nexec=ssh\ncommand=sh\narguments=-c \'echo "$USER on $SSH_CONNECTION"\'\n');
  t.is(r.code, 0, r.out);
  t.notRegex(r.out, /skip/i);
  t.regex(r.json!.task_results['0']!.stdout, new RegExp(`^${sshd.user} on 127\\.0\\.0\\.1 \\d+ 127\\.0\\.0\\.1 ${sshd.port}\\n$`));
});

test('hostname=user@127.0.0.1:PORT validates on its host part and connects as that user to that port', async (t) => {
  // The config's port and user are wrong on purpose: what the hostname says wins.
  const config = `ssh:\n  user: no-such-user\n  port: 1\n  identity: "${sshd.identity}"\n  known_hosts: "${sshd.knownHosts}"\n`;
  const r = await run(config, `task=0\nhostname=${sshd.user}@127.0.0.1:${sshd.port}\nexec=ssh\ncommand=echo\narguments=written form\n`);
  t.is(r.code, 0, r.out);
  t.is(r.json!.task_results['0']!.stdout, 'written form\n');
});

test('a hostnames= list of user@host:port entries validates and fans out over ssh, IPv6 [::1]:PORT included', async (t) => {
  const config = `ssh:\n  identity: "${sshd.identity}"\n  known_hosts: "${sshd.knownHosts}"\n  hosts:\n    "::1": {identity: "${sshd6.identity}", known_hosts: "${sshd6.knownHosts}"}\n`;
  const hosts = [`127.0.0.1:${sshd.port}`, `${sshd.user}@127.0.0.1:${sshd.port}`, `${sshd6.user}@[::1]:${sshd6.port}`];
  const text = `task=0\ntype=parallel\nhostnames=${hosts.join(',')}\nexec=ssh\ncommand=sh\narguments=-c 'echo "$SSH_CONNECTION" | cut -d" " -f3,4'\n`;
  const r = await run(config, text);
  t.is(r.code, 0, r.out);
  const outs = Object.values(r.json!.task_results).map((x) => x.stdout).filter((s) => /^\S+ \d+\n$/.test(s)).sort();
  t.deepEqual(outs, [`127.0.0.1 ${sshd.port}\n`, `127.0.0.1 ${sshd.port}\n`, `::1 ${sshd6.port}\n`].sort());
});

test('host validation still checks the host part: an unknown host is refused by name, with exit 21', async (t) => {
  const r = await run(`ssh:\n${sshSection(sshd)}`, `task=0\nhostname=${sshd.user}@no-such-host.invalid:${sshd.port}\nexec=ssh\ncommand=echo\narguments=x\n`);
  t.is(r.code, 21, r.out);
  t.regex(r.out, new RegExp(`host ${sshd.user}@no-such-host\\.invalid:${sshd.port} \\(task 0\\): dns: cannot resolve 'no-such-host\\.invalid'`));
});

test('ssh.hosts: per-host settings apply to the hosts they match (first match per setting), defaults to the rest', async (t) => {
  const config = [
    'ssh:',
    '  user: no-such-user',
    '  port: 1',
    '  identity: /nonexistent/id',
    `  known_hosts: "${sshd.knownHosts}"`,
    '  hosts:',
    `    "127.0.0.* !127.0.0.2": {port: ${sshd.port}, identity: "${sshd.identity}"}`,
    `    "127.0.0.1": {user: ${sshd.user}, port: 2}`,
    '',
  ].join('\n');
  const ok = await run(config, 'task=0\nhostname=127.0.0.1\nexec=ssh\ncommand=echo\narguments=per host\n');
  t.is(ok.code, 0, ok.out);
  t.is(ok.json!.task_results['0']!.stdout, 'per host\n');
  // localhost matches no entry: the section's defaults (port 1) are used, and the failure names them.
  const other = await run(config, 'task=0\nhostname=localhost\nexec=ssh\ncommand=echo\narguments=x\n');
  t.is(other.code, 10, other.out);
  t.regex(other.out, /tasker: ssh no-such-user@localhost:1: /);
});

test('a wrong ssh.hosts entry is a config error at its key (exit 20)', async (t) => {
  const r = await run('ssh:\n  hosts:\n    web01:\n      port: 0\n      password: x\n', 'task=0\nhostname=localhost\nexec=local\ncommand=true\n');
  t.is(r.code, 20, r.out);
  t.regex(r.out, /tasker\.yaml:4:7: error\[CONFIG_INVALID\] ssh\.hosts\.web01\.port must be a port number 1-65535, got 0/);
  t.regex(r.out, /tasker\.yaml:5:7: error\[CONFIG_INVALID\] ssh\.hosts\.web01\.password is not a known key \(user, port, identity, known_hosts\)/);
});

test('for a wrapper exec type (pbrun), user@host:port is validated on the host and passed to the wrapper as written', async (t) => {
  const bin = tempDir('tasker-ssh-hosts-bin-');
  writeFileSync(join(bin, 'pbrun'), '#!/bin/sh\necho "pbrun got: $*"\n');
  chmodSync(join(bin, 'pbrun'), 0o755);
  const r = await run('{}\n', 'task=0\nhostname=ops@127.0.0.1:2222\nexec=pbrun\ncommand=id\n', [], { PATH: `${bin}:${process.env['PATH']}` });
  t.is(r.code, 0, r.out);
  t.is(r.json!.task_results['0']!.stdout, 'pbrun got: -n -h ops@127.0.0.1:2222 id\n');
});
