/**
 * A controller and two real agents — one over mutual TLS, one on a Unix socket behind a real sshd
 * (the tunnel forwards to the socket: OpenSSH streamlocal) — run
 * the seed workflow and a 100-task file with the same results as a local run.
 */
import test from 'ava';
import { copyFileSync, readFileSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { ROOT, tempDir } from '../../helpers/run-cli.js';
import { runTaskerInProcess } from '../../helpers/tasker.js';
import { startSshd, type TestSshd } from '../../helpers/sshd.js';
import { createPki, freshSocket, startAgent, type AgentProcess, type TestPki } from '../../helpers/agent-process.js';

let sshd: TestSshd;
let pki: TestPki;
let tlsAgent: AgentProcess;
let tunnelAgent: AgentProcess;
let config: string;
const stateDir = tempDir('tasker-e2e-state-');

interface Json {
  workflow_metadata: { status: string; exit_code: number };
  execution_summary: { execution_path: number[]; loop_iterations: string[] };
  task_results: Record<string, { stdout: string; stderr: string; exit_code: number; success: boolean }>;
}

test.before(async () => {
  // The example scripts keep their state under TASKER_EXAMPLE_STATE; agents inherit it from us.
  process.env['TASKER_EXAMPLE_STATE'] = join(stateDir, 'state');
  sshd = await startSshd();
  pki = await createPki();
  tlsAgent = await startAgent(['--listen', '127.0.0.1:0', '--tls-ca', pki.ca, '--tls-cert', pki.agent.cert, '--tls-key', pki.agent.key]);
  tunnelAgent = await startAgent(['--listen', await freshSocket()]);
  config = join(stateDir, 'tasker.yaml');
  writeFileSync(config, [
    'agents:',
    '  jump-tls:',
    `    address: "127.0.0.1:${tlsAgent.port}"`,
    `    tls: {ca: "${pki.ca}", cert: "${pki.controller.cert}", key: "${pki.controller.key}", server_name: localhost}`,
    '  jump-ssh:',
    `    ssh: {host: 127.0.0.1, port: ${sshd.port}, user: ${sshd.user}, identity: "${sshd.identity}", known_hosts: "${sshd.knownHosts}"}`,
    `    address: "${tunnelAgent.address}"`,
    '',
  ].join('\n'));
});

test.after.always(async () => {
  await tlsAgent?.stop();
  await tunnelAgent?.stop();
  await sshd?.stop();
});

/** The seed workflow with absolute script paths (an agent runs commands in its own directory). */
function seedCopy(dir: string): string {
  for (const f of ['increment_counter.sh', 'toggle_exit.sh']) copyFileSync(join(ROOT, 'examples', f), join(dir, f));
  const text = readFileSync(join(ROOT, 'examples', 'workflow.txt'), 'utf8').replace(/\.\/(increment_counter|toggle_exit)\.sh/g, `${dir}/$1.sh`);
  writeFileSync(join(dir, 'workflow.txt'), text);
  return 'workflow.txt';
}

async function run(dir: string, file: string, extra: string[]): Promise<{ code: number | null; json: Json; stdout: string }> {
  const r = await runTaskerInProcess(['-r', file, '-l', join(dir, 'logs'), '--output-json', 'o.json', '--config', config, ...extra], { cwd: dir, env: { TASKER_EXAMPLE_STATE: join(stateDir, 'state') } });
  return { code: r.code, json: JSON.parse(readFileSync(join(dir, 'o.json'), 'utf8')) as Json, stdout: r.stdout + r.stderr };
}

const shape = (j: Json) => ({
  path: j.execution_summary.execution_path,
  loops: j.execution_summary.loop_iterations,
  results: Object.fromEntries(Object.entries(j.task_results).map(([k, v]) => [k, [v.exit_code, v.stdout, v.stderr, v.success]])),
});

test.serial('the seed workflow gives the same results locally, over mTLS and through the SSH tunnel, on both toggle paths', async (t) => {
  const dir = tempDir();
  const file = seedCopy(dir);
  // Each toggle path is run locally and on each agent; the toggle state is reset so all three see the same input.
  for (const expectedCode of [0, 1]) {
    const shapes = [];
    for (const agentArgs of [[], ['--agent', 'jump-tls'], ['--agent', 'jump-ssh']]) {
      writeFileSync(join(stateDir, 'state_toggle'), expectedCode === 0 ? '1\n' : '0\n');
      writeFileSync(join(stateDir, 'state_counter'), '0\n');
      const r = await run(dir, file, agentArgs);
      t.is(r.code, expectedCode, `${agentArgs.join(' ') || 'local'}: ${r.stdout}`);
      if (agentArgs.length) t.regex(r.stdout, new RegExp(`Agent ${agentArgs[1]}: ready`));
      shapes.push(shape(r.json));
    }
    t.deepEqual(shapes[1], shapes[0], 'mTLS agent = local');
    t.deepEqual(shapes[2], shapes[0], 'SSH-tunnel agent = local');
    t.deepEqual(shapes[0]!.path, expectedCode === 0 ? [0, 1, 2, 3, 4, 5] : [0, 1, 2, 3, 6, 7]);
  }
});

test.serial('a 100-task file, tasks split between the two agents by agent=, matches a local run', async (t) => {
  const dir = tempDir();
  const tasks = Array.from({ length: 100 }, (_, i) => `task=${i}\nhostname=localhost\nexec=local\ncommand=sh\narguments=-c "echo task ${i} @${Math.max(0, i - 1)}_exit@; exit ${i % 7 === 0 ? 0 : 0}"\n`).join('\n');
  writeFileSync(join(dir, 'local.txt'), tasks);
  writeFileSync(join(dir, 'agents.txt'), tasks.replace(/task=(\d+)\n/g, (m, id: string) => `${m}agent=${Number(id) % 2 ? 'jump-ssh' : 'jump-tls'}\n`));
  const local = await run(dir, 'local.txt', []);
  const remote = await run(dir, 'agents.txt', []);
  t.is(local.code, 0);
  t.is(remote.code, 0, remote.stdout);
  t.deepEqual(shape(remote.json), shape(local.json));
  t.is(Object.keys(remote.json.task_results).length, 100);
});

test.serial('an agent killed mid-task fails that task within seconds and routing proceeds', async (t) => {
  const victim = await startAgent(['--listen', await freshSocket()]);
  const dir = tempDir();
  writeFileSync(join(dir, 'f.txt'), `task=0\nhostname=localhost\nexec=local\ncommand=sleep\narguments=300\ntimeout=600\nagent=${victim.address}\non_failure=2\n\ntask=1\nhostname=localhost\nexec=local\ncommand=echo\narguments=not me\n\ntask=2\nhostname=localhost\nexec=local\ncommand=echo\narguments=handled\n`);
  let killedAt = 0;
  const r = await runTaskerInProcess(['-r', 'f.txt', '-l', join(dir, 'logs'), '--output-json', 'o.json', '--config', config], {
    cwd: dir,
    onStdout: (out) => {
      if (!killedAt && out.includes('Task 0: Executing')) {
        killedAt = Date.now();
        victim.child.kill('SIGKILL');
      }
    },
  });
  t.true(killedAt > 0, 'the task started on the agent');
  t.is(r.code, 0, r.stdout + r.stderr);
  const json = JSON.parse(readFileSync(join(dir, 'o.json'), 'utf8')) as Json;
  t.is(json.task_results['0']!.exit_code, 255);
  t.regex(json.task_results['0']!.stderr, /lost|not reachable/);
  t.deepEqual(json.execution_summary.execution_path, [0, 2]);
  // Not a timing assertion on speed, only that it did not wait for the 300 s command or the 600 s timeout.
  t.true(Date.now() - killedAt < 120_000);
});

test.serial('a run naming an unreachable agent stops before any task with exit 21 naming the agent', async (t) => {
  const dir = tempDir();
  writeFileSync(join(dir, 'f.txt'), 'task=0\nhostname=localhost\nexec=local\ncommand=touch\narguments=ran.flag\n');
  const r = await runTaskerInProcess(['-r', 'f.txt', '-l', join(dir, 'logs'), '--agent', '127.0.0.1:1'], { cwd: dir });
  t.is(r.code, 21, r.stdout + r.stderr);
  t.regex(r.stdout, /127\.0\.0\.1:1/);
  const { existsSync } = await import('node:fs');
  t.false(existsSync(join(dir, 'ran.flag')));
});
