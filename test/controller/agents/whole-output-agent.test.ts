/**
 * Conditions see the whole output through a real agent (SPEC §2a): the agent streams every chunk,
 * the controller keeps or spills the whole stream and judges the task on all of it.
 */
import test from 'ava';
import { mkdirSync, readdirSync, readFileSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { tempDir } from '../../helpers/run-cli.js';
import { runTaskerInProcess } from '../../helpers/tasker.js';
import { assertRouting, assertWholeOutput, wholeOutputBlockFile, wholeOutputFile, type RunJson } from '../../helpers/whole-output.js';
import { createPki, startAgent, type AgentProcess } from '../../helpers/agent-process.js';

let agent: AgentProcess;
let config: string;

test.before(async () => {
  const pki = await createPki();
  agent = await startAgent(['--listen', '127.0.0.1:0', '--tls-ca', pki.ca, '--tls-cert', pki.agent.cert, '--tls-key', pki.agent.key]);
  config = join(tempDir('tasker-whole-output-'), 'tasker.yaml');
  writeFileSync(config, [
    'agents:',
    '  jump:',
    `    address: "127.0.0.1:${agent.port}"`,
    `    tls: {ca: "${pki.ca}", cert: "${pki.controller.cert}", key: "${pki.controller.key}", server_name: localhost}`,
    '',
  ].join('\n'));
});

test.after.always(async () => {
  await agent?.stop();
});

async function run(text: string): Promise<{ code: number | null; json: RunJson; stdout: string; leftovers: string[] }> {
  const dir = tempDir();
  const tmp = join(dir, 'tmp');
  mkdirSync(tmp);
  writeFileSync(join(dir, 'f.txt'), text);
  const r = await runTaskerInProcess(['-r', 'f.txt', '-l', join(dir, 'logs'), '--output-json', 'o.json', '--config', config, '--agent', 'jump'], { cwd: dir, env: { TMPDIR: tmp } });
  const json = JSON.parse(readFileSync(join(dir, 'o.json'), 'utf8')) as RunJson;
  return { code: r.code, json, stdout: r.stdout, leftovers: readdirSync(tmp) };
}

test('through an agent: conditions, counts and splits see past the first 1 MiB; next= routes on it', async (t) => {
  const r = await run(wholeOutputFile('hostname=localhost\nexec=local\n'));
  t.is(r.code, 0, r.stdout.split('\n').filter((l) => !/STD(OUT|ERR):/.test(l)).join('\n'));
  t.regex(r.stdout, /Agent jump: ready/, 'the tasks ran on the agent');
  assertWholeOutput(t, r.json);
  assertRouting(t, r.json);
  t.deepEqual(r.leftovers, [], "the controller's spill files are removed at the end of the run");
});

test('through an agent, in a parallel block: each sub-task is judged on its whole output', async (t) => {
  const r = await run(wholeOutputBlockFile('hostname=localhost\nexec=local\n', 3));
  t.is(r.code, 0);
  assertWholeOutput(t, r.json, (id) => `0-${100 + id}`);
});
