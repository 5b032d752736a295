/**
 * Agents on separate hosts: three network namespaces stand in for three machines.
 *
 *   ctl (controller) ── 192.0.2.1/24 ─── 192.0.2.10/24 ── host-a: tasker-agent, mutual TLS on 192.0.2.10
 *                    └─ 198.51.100.1/24 ─ 198.51.100.10/24 ─ host-b: sshd on 198.51.100.10:22,
 *                                                            tasker-agent on host-b's own 127.0.0.1
 *
 * (Documentation address ranges, RFC 5737; they exist only inside these namespaces.) `tasker -r`
 * runs in ctl with a task file that routes tasks to both agents, and the results match a local run.
 */
import test from 'ava';
import { spawn } from 'node:child_process';
import { readFileSync, rmSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { initCa, issueCert } from '../../../agent/certs/certs.js';
import { ROOT, tempDir } from '../../helpers/run-cli.js';
import { startSshd, type TestSshd } from '../../helpers/sshd.js';
import { freshSocket, startAgent, type AgentProcess } from '../../helpers/agent-process.js';
import { NetnsLab, netnsUnavailable } from '../../helpers/netns.js';

const HOST_A = '192.0.2.10';
const HOST_B = '198.51.100.10';
const TSX = import.meta.resolve('tsx');
const TASKER = join(ROOT, 'controller', 'cli', 'tasker.ts');

let unavailable: string | undefined;
let setupError: Error | undefined;
const lab = new NetnsLab();
let ctl: string;
let agentA: AgentProcess | undefined;
let agentB: AgentProcess | undefined;
let sshd: TestSshd | undefined;
const dir = tempDir('tasker-multihost-');
let config: string;

test.before(async () => {
  unavailable = await netnsUnavailable();
  if (unavailable) return;
  try {
    ctl = await lab.host('ctl');
    const a = await lab.host('a');
    const b = await lab.host('b');
    await lab.link(ctl, '192.0.2.1/24', a, `${HOST_A}/24`);
    await lab.link(ctl, '198.51.100.1/24', b, `${HOST_B}/24`);

    // host-a: mutual TLS, its certificate names its IP address (the controller dials the IP).
    const pki = join(dir, 'pki');
    await initCa(pki);
    const agentCert = await issueCert({ dir: pki, name: 'host-a', sans: [HOST_A], usage: 'server' });
    const ctlCert = await issueCert({ dir: pki, name: 'controller1', usage: 'client' });
    agentA = await startAgent(
      ['--listen', `${HOST_A}:0`, '--tls-ca', join(pki, 'ca.crt'), '--tls-cert', agentCert.cert, '--tls-key', agentCert.key, '--allow-client', 'controller1'],
      { wrap: (argv) => lab.exec(a, argv) },
    );
    // host-b: sshd on its own address, the agent only on its own Unix socket (reached through that sshd).
    sshd = await startSshd({ host: HOST_B, port: 22, wrap: (argv) => lab.exec(b, argv) });
    // On its Unix socket, the default local transport, reached through sshd on that host.
    agentB = await startAgent(['--listen', await freshSocket()], { wrap: (argv) => lab.exec(b, argv) });

    config = join(dir, 'tasker.yaml');
    writeFileSync(config, [
      'agents:',
      '  host-a:',
      `    address: "${agentA.address}"`,
      `    tls: {ca: "${join(pki, 'ca.crt')}", cert: "${ctlCert.cert}", key: "${ctlCert.key}"}`,
      '  host-b:',
      `    ssh: {host: "${HOST_B}", port: 22, user: ${sshd.user}, identity: "${sshd.identity}", known_hosts: "${sshd.knownHosts}"}`,
      `    address: "${agentB.address}"`,
      '',
    ].join('\n'));
  } catch (e) {
    setupError = e as Error;
  }
});

test.after.always(async () => {
  await agentA?.stop();
  await agentB?.stop();
  await sshd?.stop();
  await lab.destroy();
  rmSync(dir, { recursive: true, force: true });
});

interface Json {
  execution_summary: { execution_path: number[] };
  task_results: Record<string, { stdout: string; stderr: string; exit_code: number; success: boolean }>;
}

/** `tasker -r FILE --config …` inside the controller's namespace. */
async function taskerInCtl(file: string): Promise<{ code: number | null; out: string; json: Json }> {
  const json = join(dir, `${file}.json`);
  const child = spawn('ip', ['netns', 'exec', ctl, process.execPath, '--import', TSX, TASKER, '-r', join(dir, file), '-l', join(dir, 'logs'), '--output-json', json, '--config', config], {
    cwd: dir,
    stdio: ['ignore', 'pipe', 'pipe'],
  });
  let out = '';
  child.stdout!.on('data', (d: Buffer) => (out += d.toString()));
  child.stderr!.on('data', (d: Buffer) => (out += d.toString()));
  const code = await new Promise<number | null>((resolve) => child.once('close', resolve));
  return { code, out, json: JSON.parse(readFileSync(json, 'utf8')) as Json };
}

/** Twelve tasks: output, stderr, chained variables, a failure routed by on_failure. */
function taskFile(route: (i: number) => string | undefined): string {
  return Array.from({ length: 12 }, (_, i) => {
    const lines = [`task=${i}`, 'hostname=localhost', 'exec=local', 'command=sh'];
    const prev = i === 0 ? 'start' : `@${i - 1}_stdout@`;
    lines.push(`arguments=-c "echo 'task ${i} after ${prev}'; echo 'warn ${i}' >&2; exit ${i === 7 ? 3 : 0}"`);
    if (i === 7) lines.push('on_failure=9');
    const agent = route(i);
    if (agent) lines.push(`agent=${agent}`);
    return `${lines.join('\n')}\n`;
  }).join('\n');
}

const shape = (j: Json) => ({
  path: j.execution_summary.execution_path,
  results: Object.fromEntries(Object.entries(j.task_results).map(([k, v]) => [k, [v.exit_code, v.stdout, v.stderr, v.success]])),
});

/** Task ids an agent ran, from its own log (`execute done` lines carry run and task ids). */
function tasksRunBy(agent: AgentProcess): string[] {
  return agent
    .log()
    .split('\n')
    .filter((l) => l.includes('"execute done"'))
    .map((l) => (JSON.parse(l) as { taskId: string }).taskId);
}

function ready(t: { fail(message: string): void }): boolean {
  if (unavailable) t.fail(unavailable);
  else if (setupError) t.fail(`setting up the namespaces failed: ${setupError.message}`);
  return !unavailable && !setupError;
}

test.serial('tasks routed to an mTLS agent and an SSH-tunnelled agent on two other hosts give the same results as a local run', async (t) => {
  if (!ready(t)) return;
  writeFileSync(join(dir, 'local.txt'), taskFile(() => undefined));
  writeFileSync(join(dir, 'routed.txt'), taskFile((i) => [undefined, 'host-a', 'host-b'][i % 3]));
  const local = await taskerInCtl('local.txt');
  const routed = await taskerInCtl('routed.txt');
  t.is(local.code, 0, local.out);
  t.is(routed.code, 0, routed.out);
  t.regex(routed.out, /Agent host-a: ready/);
  t.regex(routed.out, /Agent host-b: ready/);
  t.notRegex(routed.out, /DEP0123|DeprecationWarning/);
  t.deepEqual(shape(routed.json), shape(local.json));
  t.deepEqual(routed.json.execution_summary.execution_path, [0, 1, 2, 3, 4, 5, 6, 7, 9, 10, 11]);
  t.is(routed.json.task_results['7']!.stdout, 'task 7 after task 6 after task 5 after task 4 after task 3 after task 2 after task 1 after task 0 after start\n');
  t.is(routed.json.task_results['10']!.stdout, 'task 10 after task 9 after @8_stdout@\n', 'task 8 never ran, so its variable stays unresolved');
  // Each agent ran exactly the tasks routed to it (task 8 was skipped by on_failure).
  t.deepEqual(tasksRunBy(agentA!), ['1', '4', '7', '10']);
  t.deepEqual(tasksRunBy(agentB!), ['2', '5', '11']);
});

test.serial('each agent runs on its own host: its own addresses, not the controller\'s', async (t) => {
  if (!ready(t)) return;
  const ip = 'arguments=-o -4 addr show scope global';
  writeFileSync(join(dir, 'where.txt'), [
    'task=0\nhostname=localhost\nexec=local\ncommand=ip\n' + ip + '\nagent=host-a\n',
    'task=1\nhostname=localhost\nexec=local\ncommand=ip\n' + ip + '\nagent=host-b\n',
    'task=2\nhostname=localhost\nexec=local\ncommand=ip\n' + ip + '\n',
  ].join('\n'));
  const r = await taskerInCtl('where.txt');
  t.is(r.code, 0, r.out);
  const addrs = (k: string) => [...r.json.task_results[k]!.stdout.matchAll(/inet (\S+)\//g)].map((m) => m[1]).sort();
  t.deepEqual(addrs('0'), [HOST_A]);
  t.deepEqual(addrs('1'), [HOST_B]);
  t.deepEqual(addrs('2'), ['192.0.2.1', '198.51.100.1']);
});
