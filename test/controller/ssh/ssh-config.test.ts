/**
 * The config's `ssh:` section (issue 13, item 8: config errors exit 20, used or not, naming the
 * key). Its defaults reach exec=ssh tasks (they were read from the wrong level and ignored), and a
 * wrong key stops any run with a positioned error. A real sshd on loopback.
 */
import test from 'ava';
import { writeFileSync } from 'node:fs';
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

test('ssh: user, port, identity and known_hosts from the config reach exec=ssh tasks', async (t) => {
  const dir = tempDir('tasker-ssh-config-');
  writeFileSync(join(dir, 'tasker.yaml'), `ssh:\n  user: ${sshd.user}\n  port: ${sshd.port}\n  identity: "${sshd.identity}"\n  known_hosts: "${sshd.knownHosts}"\n`);
  writeFileSync(join(dir, 'f.txt'), 'task=0\nhostname=127.0.0.1\nexec=ssh\ncommand=echo\narguments=from config\n');
  const r = await runTaskerInProcess(['-r', '--config', 'tasker.yaml', '--skip-host-validation', '-l', join(dir, 'logs'), 'f.txt'], { cwd: dir });
  t.is(r.code, 0, r.stdout + r.stderr);
  t.regex(r.stdout, /Task 0: STDOUT: from config/);
});

test('a wrong ssh: key is a config error (exit 20) at its position, also when no task uses ssh', async (t) => {
  const dir = tempDir('tasker-ssh-config-');
  writeFileSync(join(dir, 'tasker.yaml'), 'ssh:\n  user: ops\n  port: "twenty-two"\n');
  writeFileSync(join(dir, 'f.txt'), 'task=0\nhostname=localhost\nexec=local\ncommand=touch\narguments=ran.flag\n');
  const r = await runTaskerInProcess(['-r', '--config', 'tasker.yaml', '-l', join(dir, 'logs'), 'f.txt'], { cwd: dir });
  t.is(r.code, 20);
  t.regex(r.stderr, /tasker\.yaml:3:3: error\[CONFIG_INVALID\] ssh\.port must be a port number 1-65535, got "twenty-two"/);
});
