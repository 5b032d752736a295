/**
 * A TLS handshake that fails is named on the controller (issue 13, item 8): the agent's certificate
 * from another CA, expired, or not naming the address; and our client certificate refused by the
 * agent. Before, each of these read "the agent cancelled the call". Real agents, real certificates
 * (agent/certs/certs.ts; `days: -1` makes an expired one).
 */
import test from 'ava';
import { rm, writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import { issueCert } from '../../../agent/certs/certs.js';
import { type AgentSpec, type AgentTlsFiles } from '../../../controller/agents/index.js';
import { checkAgents } from '../../../controller/executors/check-agents.js';
import { createPki, startAgent, type AgentProcess, type TestPki } from '../../helpers/agent-process.js';
import { tempDir } from '../../helpers/run-cli.js';
import { runTaskerInProcess } from '../../helpers/tasker.js';

let pki: TestPki;
let good: AgentProcess;
let expired: AgentProcess;
let misnamed: AgentProcess;
let expiredClient: { cert: string; key: string };

test.before(async () => {
  pki = await createPki();
  const old = await issueCert({ dir: pki.dir, name: 'agent-old', sans: ['127.0.0.1', 'localhost'], usage: 'server', days: -1 });
  const elsewhere = await issueCert({ dir: pki.dir, name: 'elsewhere', usage: 'server' });
  expiredClient = await issueCert({ dir: pki.dir, name: 'controller-old', usage: 'client', days: -1 });
  const serve = (c: { cert: string; key: string }) => startAgent(['--listen', '127.0.0.1:0', '--tls-ca', pki.ca, '--tls-cert', c.cert, '--tls-key', c.key]);
  [good, expired, misnamed] = await Promise.all([serve(pki.agent), serve(old), serve(elsewhere)]);
});

test.after.always(async () => {
  await Promise.all([good?.stop(), expired?.stop(), misnamed?.stop()]);
  if (pki) await rm(pki.dir, { recursive: true, force: true });
});

const controller = (): AgentTlsFiles => ({ ca: pki.ca, cert: pki.controller.cert, key: pki.controller.key });

/** checkAgents' one problem for this agent, which must name the cause. */
const named = test.macro(async (t, make: () => AgentSpec, expected: RegExp) => {
  const problems = await checkAgents([make()]);
  t.is(problems.length, 1);
  t.regex(problems[0]!.message, expected);
  t.notRegex(problems[0]!.message, /cancelled/);
});

test('the agent certificate from another CA: unknown CA', named,
  () => ({ name: 'a', kind: 'tls', address: good.address, tls: { ...controller(), ca: pki.foreign.ca } }),
  /not reachable: TLS: unknown CA: the agent's certificate is not signed by the CA in tls\.ca \(SELF_SIGNED_CERT_IN_CHAIN\)/);
test('an expired agent certificate', named,
  () => ({ name: 'a', kind: 'tls', address: expired.address, tls: controller() }),
  /not reachable: TLS: the agent's certificate has expired \(CERT_HAS_EXPIRED\)/);
test('an agent certificate without the dialled name: name mismatch', named,
  () => ({ name: 'a', kind: 'tls', address: misnamed.address, tls: controller() }),
  /not reachable: TLS: name mismatch: the agent's certificate does not name `127\.0\.0\.1` \(it names DNS:elsewhere\); issue it with --san 127\.0\.0\.1 or set tls\.server_name/);
test('our client certificate from another CA, refused by the agent', named,
  () => ({ name: 'a', kind: 'tls', address: good.address, tls: { ca: pki.ca, cert: pki.foreign.cert, key: pki.foreign.key } }),
  /not reachable: TLS: the agent closed the connection right after the handshake: it refused our client certificate \(tls\.cert\)/);
test('our expired client certificate, refused by the agent', named,
  () => ({ name: 'a', kind: 'tls', address: good.address, tls: { ca: pki.ca, ...expiredClient } }),
  /it refused our client certificate \(tls\.cert\): not signed by the agent's CA, expired, or not a client certificate/);

test('tasker -r names the TLS failure and exits 21 before any task', async (t) => {
  const dir = tempDir('tasker-tls-');
  await writeFile(join(dir, 'tasker.yaml'), [
    'agents:',
    '  jump1:',
    `    address: "${expired.address}"`,
    `    tls: {ca: "${pki.ca}", cert: "${pki.controller.cert}", key: "${pki.controller.key}"}`,
    '',
  ].join('\n'));
  await writeFile(join(dir, 'f.txt'), 'task=0\nhostname=localhost\nexec=local\ncommand=touch\narguments=ran.flag\nagent=jump1\n');
  const r = await runTaskerInProcess(['-r', '--config', 'tasker.yaml', '-l', join(dir, 'logs'), 'f.txt'], { cwd: dir });
  t.is(r.code, 21);
  t.regex(r.stdout + r.stderr, /agent 'jump1': agent jump1 \(127\.0\.0\.1:\d+, mTLS\): not reachable: TLS: the agent's certificate has expired/);
});
