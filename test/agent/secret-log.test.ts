/**
 * An agent never logs a secret value, at any log level (issue 13 item 9): a real agent at
 * `--log-level debug` runs a task whose argv holds secrets, sent by the real tasker bin.
 */
import test from 'ava';
import { writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { tempDir } from '../helpers/run-cli.js';
import { runTaskerInProcess } from '../helpers/tasker.js';
import { agentLogMatching, startAgent } from '../helpers/agent-process.js';

const SECRETS = {
  DB_PASS: 'db-pass-value-1',
  MYSQL_PWD: 'mysql-pwd-value-2',
  PASSPHRASE: 'passphrase-value-3',
  CREDENTIALS: 'credentials-value-4',
  deploy_token: 'token-value-5',
  SSH_KEY: 'key-value-6',
};

test('tasker-agent serve --log-level debug: the argv it logs has every secret masked', async (t) => {
  const agent = await startAgent(['--listen', '127.0.0.1:0', '--insecure-loopback', '--log-level', 'debug']);
  t.teardown(() => agent.stop());
  const dir = tempDir();
  const globals = Object.entries(SECRETS).map(([k, v]) => `${k}=${v}`).join('\n');
  const args = Object.keys(SECRETS).map((k) => `@${k}@`).join(' ');
  writeFileSync(join(dir, 'f.txt'), `${globals}\nPLAIN=visible-value\n\ntask=0\nhostname=localhost\nexec=local\ncommand=echo\narguments=@PLAIN@ ${args}\nagent=127.0.0.1:${agent.port}\n`);
  const r = await runTaskerInProcess(['-r', 'f.txt', '-l', join(dir, 'base')], { cwd: dir });
  t.is(r.code, 0, r.stdout + r.stderr);
  const lines = (await agentLogMatching(agent, /"message":"execute"/)).split('\n').filter((l) => l.startsWith('{')).map((l) => JSON.parse(l) as { message: string; argv?: string[] });
  const execute = lines.find((l) => l.message === 'execute');
  t.truthy(execute, `the debug line of the task is there: ${agent.log()}`);
  t.deepEqual(execute!.argv, ['echo', 'visible-value', ...Object.values(SECRETS).map((v) => `<masked len=${v.length}>`)]);
  for (const [name, value] of Object.entries(SECRETS)) t.false(agent.log().includes(value), `${name}'s value is not in the agent's log`);
});
