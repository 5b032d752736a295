/**
 * mTLS to an agent given by IP address: the certificate is checked against the IP (or
 * tls.server_name), and no IP is ever sent as TLS ServerName (Node's DEP0123 warning).
 */
import test from 'ava';
import { rm } from 'node:fs/promises';
import { type AgentSpec } from '../../../controller/agents/index.js';
import { createAgentExecutor } from '../../../controller/executors/agent-executor.js';
import { createPki, startAgent, type AgentProcess, type TestPki } from '../../helpers/agent-process.js';

let pki: TestPki;
let agent: AgentProcess;
const warnings: Error[] = [];
const onWarning = (w: Error) => warnings.push(w);

test.before(async () => {
  process.on('warning', onWarning);
  pki = await createPki(); // agent certificate: DNS agent1, localhost; IP 127.0.0.1
  // All loopback addresses reach it; only 127.0.0.1 is in its certificate.
  agent = await startAgent(['--listen', '0.0.0.0:0', '--tls-ca', pki.ca, '--tls-cert', pki.agent.cert, '--tls-key', pki.agent.key]);
});

test.after.always(async () => {
  process.off('warning', onWarning);
  await agent?.stop();
  if (pki) await rm(pki.dir, { recursive: true, force: true });
});

const spec = (host: string, serverName?: string): AgentSpec => ({
  name: 'ip-agent',
  kind: 'tls',
  address: `${host}:${agent.port}`,
  tls: { ca: pki.ca, cert: pki.controller.cert, key: pki.controller.key, ...(serverName ? { serverName } : {}) },
});

async function echo(s: AgentSpec) {
  const ex = createAgentExecutor(s);
  try {
    return await ex.execute({ runId: 'sni', taskId: '1', execType: 'local', hostname: 'localhost', command: 'echo', arguments: 'ok', timeoutMs: 10_000 });
  } finally {
    await ex.close();
  }
}

const dep0123 = () => warnings.filter((w) => (w as { code?: string }).code === 'DEP0123' || /ServerName to an IP/.test(w.message));

test.serial('an IP address that is an IP SAN of the certificate connects, without the DEP0123 warning', async (t) => {
  const r = await echo(spec('127.0.0.1'));
  t.is(r.exitCode, 0, r.stderr);
  t.is(r.stdout, 'ok\n');
  t.deepEqual(dep0123(), []);
});

test.serial('an IP address not in the certificate is refused with the reason', async (t) => {
  const r = await echo(spec('127.0.0.2'));
  t.is(r.exitCode, 255);
  t.regex(r.stderr, /agent ip-agent \(127\.0\.0\.2:\d+, mTLS\) not reachable: UNAVAILABLE: TLS: name mismatch: the agent's certificate does not name `127\.0\.0\.2` \(it names DNS:agent1, IP Address:127\.0\.0\.1, DNS:localhost\)/);
  t.deepEqual(dep0123(), []);
});

test.serial('tls.server_name names the certificate when the address does not (host name or IP)', async (t) => {
  for (const name of ['agent1', 'localhost', '127.0.0.1']) {
    const r = await echo(spec('127.0.0.2', name));
    t.is(r.exitCode, 0, `${name}: ${r.stderr}`);
    t.is(r.stdout, 'ok\n');
  }
  const wrong = await echo(spec('127.0.0.1', 'jump9'));
  t.is(wrong.exitCode, 255);
  t.regex(wrong.stderr, /TLS: name mismatch: the agent's certificate does not name `jump9` \(it names DNS:agent1, IP Address:127\.0\.0\.1, DNS:localhost\); issue it with --san jump9 or set tls\.server_name/);
  t.deepEqual(dep0123(), []);
});

test.serial('unreadable TLS files are named, no stack trace', async (t) => {
  const r = await echo({ ...spec('127.0.0.1'), tls: { ca: '/nonexistent/ca.crt', cert: pki.controller.cert, key: pki.controller.key } });
  t.is(r.exitCode, 255);
  t.regex(r.stderr, /agent ip-agent \(127\.0\.0\.1:\d+, mTLS\) not reachable: agent ip-agent .*cannot read tls\.ca \/nonexistent\/ca\.crt/);
  t.notRegex(r.stderr, /\n\s+at /);
  const garbage = await echo({ ...spec('127.0.0.1'), tls: { ca: pki.ca, cert: pki.controller.cert, key: pki.ca } });
  t.is(garbage.exitCode, 255);
  t.regex(garbage.stderr, /unusable TLS files \(tls\.ca\/cert\/key\)/);
});
