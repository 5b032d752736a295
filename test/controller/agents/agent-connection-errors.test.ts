/** openAgentConnection's failures are coded ConnectErrors naming the agent (shared/errors). */
import test from 'ava';
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { openAgentConnection } from '../../../controller/agents/index.js';
import { ConnectError, TaskerError } from '../../../shared/errors/index.js';

const scratch = mkdtempSync(join(tmpdir(), 'tasker-agent-errors-'));
test.after.always(() => rmSync(scratch, { recursive: true, force: true }));

test('an unreadable TLS file: ConnectError, code CONNECT, target the agent, the message names agent, file and cause', async (t) => {
  const spec = { name: 'jump1', kind: 'tls' as const, address: '127.0.0.1:1', tls: { ca: '/nonexistent/ca.crt', cert: '/nonexistent/c.crt', key: '/nonexistent/c.key' } };
  const err = await t.throwsAsync(openAgentConnection(spec), { instanceOf: ConnectError });
  t.true(err instanceof TaskerError);
  t.is(err!.code, 'CONNECT');
  t.is(err!.target, 'jump1');
  t.is((err!.cause as NodeJS.ErrnoException).code, 'ENOENT');
  t.regex(err!.message, /^agent jump1 \(127\.0\.0\.1:1, mTLS\): cannot read tls\.(ca|cert|key) \/nonexistent\/\S+: ENOENT: no such file or directory/);
});

test('TLS files that are not PEM: ConnectError naming the agent and tls.ca/cert/key', async (t) => {
  const junk = join(scratch, 'junk.pem');
  writeFileSync(junk, 'not a certificate\n');
  const spec = { name: 'jump2', kind: 'tls' as const, address: '127.0.0.1:1', tls: { ca: junk, cert: junk, key: junk } };
  const err = await t.throwsAsync(openAgentConnection(spec), { instanceOf: ConnectError });
  t.is(err!.target, 'jump2');
  t.regex(err!.message, /^agent jump2 \(127\.0\.0\.1:1, mTLS\): unusable TLS files \(tls\.ca\/cert\/key\): /);
  t.truthy(err!.cause);
});
