/**
 * Conditions see the whole output of an `exec=ssh` task (SPEC §2a): the controller keeps or
 * spills the whole stream it reads from a real sshd and judges the task on all of it.
 */
import test from 'ava';
import { mkdirSync, readdirSync, readFileSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { tempDir } from '../../helpers/run-cli.js';
import { runTaskerInProcess } from '../../helpers/tasker.js';
import { startSshd, type TestSshd } from '../../helpers/sshd.js';
import { assertRouting, assertWholeOutput, wholeOutputBlockFile, wholeOutputFile, type RunJson } from '../../helpers/whole-output.js';

let sshd: TestSshd;
let config: string;

test.before(async () => {
  sshd = await startSshd();
  config = join(tempDir('tasker-whole-output-ssh-'), 'tasker.yaml');
  writeFileSync(config, `ssh: {user: ${sshd.user}, identity: "${sshd.identity}", known_hosts: "${sshd.knownHosts}"}\n`);
});

test.after.always(async () => {
  await sshd?.stop();
});

/** Host validation resolves the hostname as given, `127.0.0.1:PORT` included, so it is skipped here. */
async function run(text: string): Promise<{ code: number | null; json: RunJson; stdout: string; leftovers: string[] }> {
  const dir = tempDir();
  const tmp = join(dir, 'tmp');
  mkdirSync(tmp);
  writeFileSync(join(dir, 'f.txt'), text);
  const r = await runTaskerInProcess(['-r', 'f.txt', '-l', join(dir, 'logs'), '--output-json', 'o.json', '--config', config, '--skip-host-validation'], { cwd: dir, env: { TMPDIR: tmp } });
  const json = JSON.parse(readFileSync(join(dir, 'o.json'), 'utf8')) as RunJson;
  return { code: r.code, json, stdout: r.stdout, leftovers: readdirSync(tmp) };
}

test('over ssh: conditions, counts and splits see past the first 1 MiB; next= routes on it', async (t) => {
  const r = await run(wholeOutputFile(`hostname=127.0.0.1:${sshd.port}\nexec=ssh\n`));
  t.is(r.code, 0, r.stdout.split('\n').filter((l) => !/STD(OUT|ERR):/.test(l)).join('\n'));
  t.true(r.stdout.includes(`Task 0: Executing [ssh] on 127.0.0.1:${sshd.port} via ssh: `), 'the Executing line names host and ssh');
  t.deepEqual((r.json as unknown as { hosts: Record<string, { ran_on: string[] }> }).hosts[`127.0.0.1:${sshd.port}`]!.ran_on, ['ssh']);
  assertWholeOutput(t, r.json);
  assertRouting(t, r.json);
  t.deepEqual(r.leftovers, []);
});

test('over ssh, in a parallel block: each sub-task is judged on its whole output', async (t) => {
  const r = await run(wholeOutputBlockFile(`hostname=127.0.0.1:${sshd.port}\nexec=ssh\n`, 3));
  t.is(r.code, 0);
  assertWholeOutput(t, r.json, (id) => `0-${100 + id}`);
});
