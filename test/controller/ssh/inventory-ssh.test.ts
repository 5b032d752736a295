/**
 * exec=ssh to inventory hosts against a real sshd on a loopback port: ansible_host, ansible_port
 * and ansible_user decide where and as whom each host's command runs, host validation (on) checks
 * ansible_host, and the config's ssh: section gives only the key and known_hosts.
 */
import test from 'ava';
import { readFileSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { tempDir } from '../../helpers/run-cli.js';
import { runTaskerInProcess } from '../../helpers/tasker.js';
import { startSshd, type TestSshd } from '../../helpers/sshd.js';

let sshd: TestSshd;

test.before(async () => {
  sshd = await startSshd();
});

test.after.always(async () => {
  await sshd?.stop();
});

interface Json {
  task_results: Record<string, { stdout: string; hostname: string; success: boolean; command: string }>;
}

function setUp(inventoryName: string, inventory: string, taskFile: string): string {
  const dir = tempDir('tasker-inventory-ssh-');
  writeFileSync(join(dir, inventoryName), inventory);
  writeFileSync(join(dir, 'tasker.yaml'), `ssh: {identity: "${sshd.identity}", known_hosts: "${sshd.knownHosts}"}\n`);
  writeFileSync(join(dir, 'wf.txt'), taskFile);
  return dir;
}

async function run(dir: string, inventoryName: string): Promise<{ code: number | null; stdout: string; stderr: string; json: Json }> {
  const r = await runTaskerInProcess(['-r', 'wf.txt', '--config', 'tasker.yaml', '-i', inventoryName, '-l', join(dir, 'logs'), '--output-json', 'o.json'], { cwd: dir });
  return { ...r, json: JSON.parse(readFileSync(join(dir, 'o.json'), 'utf8')) as Json };
}

/** Task 0 prints each host's name and inventory variable, task 1 the user the session runs as. */
const FAN_OUT = 'task=0\ntype=parallel\nhostnames=@nodes,!node-c\nexec=ssh\ncommand=echo\narguments=@HOST@ @HOST_VAR_site@\n' +
  'task=1\ntype=parallel\nhostnames=@nodes,!node-c\nexec=ssh\ncommand=id\narguments=-un\n';

/** hostname → stdouts of its sub-tasks, in task order. */
function outputsByHost(json: Json): Record<string, string[]> {
  const out: Record<string, string[]> = {};
  for (const [key, r] of Object.entries(json.task_results).sort(([a], [b]) => a.localeCompare(b))) if (r.hostname) (out[r.hostname] ??= []).push(r.stdout);
  return out;
}

test('INI inventory: hostnames=@nodes over ssh uses ansible_host/ansible_port/ansible_user, host validation on', async (t) => {
  const inventory = `[nodes]\nnode-[a:c].invalid ansible_host=127.0.0.1 ansible_port=${sshd.port}\n\n[nodes:vars]\nansible_user=${sshd.user}\nsite=lab\n`;
  const dir = setUp('hosts.ini', inventory, FAN_OUT.replaceAll('!node-c', '!node-c.invalid'));
  const r = await run(dir, 'hosts.ini');
  t.is(r.code, 0, r.stdout + r.stderr);
  t.regex(r.stdout, new RegExp(`Executing \\[ssh\\] on node-a\\.invalid via ssh: ssh ${sshd.user}@127\\.0\\.0\\.1:${sshd.port} echo node-a\\.invalid lab`));
  t.deepEqual(outputsByHost(r.json), { 'node-a.invalid': ['node-a.invalid lab\n', `${sshd.user}\n`], 'node-b.invalid': ['node-b.invalid lab\n', `${sshd.user}\n`] });
});

test('YAML inventory: the same over ssh, and a plain hostname= task naming an inventory host connects the same way', async (t) => {
  const inventory = `all:\n  vars:\n    ansible_user: ${sshd.user}\n    site: yard\n  children:\n    nodes:\n      hosts:\n        node-a.invalid:\n        node-b.invalid:\n        node-c.invalid:\n      vars:\n        ansible_host: 127.0.0.1\n        ansible_port: ${sshd.port}\n`;
  const dir = setUp('hosts.yml', inventory, `${FAN_OUT.replaceAll('!node-c', '!node-c.invalid')}task=2\nhostname=node-c.invalid\nexec=ssh\ncommand=id\narguments=-un\n`);
  const r = await run(dir, 'hosts.yml');
  t.is(r.code, 0, r.stdout + r.stderr);
  t.deepEqual(outputsByHost(r.json), { 'node-a.invalid': ['node-a.invalid yard\n', `${sshd.user}\n`], 'node-b.invalid': ['node-b.invalid yard\n', `${sshd.user}\n`], 'node-c.invalid': [`${sshd.user}\n`] });
});

test('without ansible_port the ssh connection goes to port 22 of ansible_host and fails there, not on the test sshd', async (t) => {
  const inventory = `[nodes]\nnode-a.invalid ansible_host=127.0.0.1 ansible_user=${sshd.user}\nnode-b.invalid ansible_host=127.0.0.1 ansible_port=${sshd.port} ansible_user=${sshd.user}\n`;
  const dir = setUp('hosts.ini', inventory, 'task=0\ntype=parallel\nhostnames=@nodes\nexec=ssh\ncommand=true\n');
  const r = await run(dir, 'hosts.ini');
  const byHost = Object.fromEntries(Object.values(r.json.task_results).filter((x) => x.hostname).map((x) => [x.hostname, x]));
  t.true(byHost['node-b.invalid']!.success);
  t.regex(byHost['node-a.invalid']!.command, new RegExp(`^ssh ${sshd.user}@127\\.0\\.0\\.1 true$`));
  t.is(r.code, 10);
});

test('the config\'s ssh.hosts entries match ansible_host (as ssh config Host patterns do under Ansible)', async (t) => {
  const dir = tempDir('tasker-inventory-ssh-');
  writeFileSync(join(dir, 'hosts.ini'), `[nodes]\nnode-a.invalid ansible_host=127.0.0.1 ansible_port=${sshd.port}\nnode-b.invalid ansible_host=127.0.0.1 ansible_port=${sshd.port}\n`);
  writeFileSync(join(dir, 'tasker.yaml'), `ssh:\n  user: nobody-here\n  identity: "${sshd.identity}"\n  known_hosts: "${sshd.knownHosts}"\n  hosts:\n    "127.0.0.1": {user: ${sshd.user}}\n    "node-*": {user: wrong-user}\n`);
  writeFileSync(join(dir, 'wf.txt'), 'task=0\ntype=parallel\nhostnames=@nodes\nexec=ssh\ncommand=id\narguments=-un\n');
  const r = await run(dir, 'hosts.ini');
  t.is(r.code, 0, r.stdout + r.stderr);
  t.deepEqual(outputsByHost(r.json), { 'node-a.invalid': [`${sshd.user}\n`], 'node-b.invalid': [`${sshd.user}\n`] });
});
