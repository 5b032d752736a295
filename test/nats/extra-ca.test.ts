/**
 * NATS over TLS when the bin deferred NODE_EXTRA_CA_CERTS (shared/extra-ca-certs.ts): Node's
 * default store then lacks those certificates, so the connection must add them itself. This file
 * plays the bin: the variable arrives moved aside, as the shebang leaves it.
 */
import test from 'ava';
import { execFileSync } from 'node:child_process';
import { mkdtempSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { startNatsServer, type TestNatsServer } from '../helpers/nats-server.js';
import { connectNats } from '../../shared/nats/connection.js';
import { restoreDeferredExtraCaCerts } from '../../shared/extra-ca-certs.js';

let dir = '';
let tlsServer: TestNatsServer;
let plainServer: TestNatsServer;

test.before(async () => {
  dir = mkdtempSync(join(tmpdir(), 'tasker-nats-extra-ca-'));
  const run = (...args: string[]) => execFileSync('openssl', args, { cwd: dir, stdio: 'pipe' });
  run('req', '-x509', '-newkey', 'rsa:2048', '-nodes', '-keyout', 'ca.key', '-out', 'ca.pem', '-days', '1', '-subj', '/CN=tasker-extra-ca');
  run('req', '-newkey', 'rsa:2048', '-nodes', '-keyout', 'server.key', '-out', 'server.csr', '-subj', '/CN=127.0.0.1');
  writeFileSync(join(dir, 'ext.cnf'), 'subjectAltName=IP:127.0.0.1,DNS:localhost\n');
  run('x509', '-req', '-in', 'server.csr', '-CA', 'ca.pem', '-CAkey', 'ca.key', '-CAcreateserial', '-out', 'server.pem', '-days', '1', '-extfile', 'ext.cnf');
  tlsServer = await startNatsServer({ args: ['--tls', '--tlscert', join(dir, 'server.pem'), '--tlskey', join(dir, 'server.key')] });
  plainServer = await startNatsServer();
  process.env.TASKER_NODE_EXTRA_CA_CERTS = join(dir, 'ca.pem');
  restoreDeferredExtraCaCerts();
});

test.after.always(async () => {
  await tlsServer?.dispose();
  await plainServer?.dispose();
});

test('the variable is back for commands, and the marker is gone', (t) => {
  t.is(process.env.NODE_EXTRA_CA_CERTS, join(dir, 'ca.pem'));
  t.false('TASKER_NODE_EXTRA_CA_CERTS' in process.env);
});

test('tls:// without a CA of its own trusts the deferred extra certificates', async (t) => {
  const nc = await connectNats({ servers: `tls://127.0.0.1:${tlsServer.port}` });
  t.teardown(() => nc.close()); // also when an assertion fails (it ends the test)
  t.false(nc.isClosed());
});

test('nats:// to a server that demands TLS: the deferred certificates are offered on a second try', async (t) => {
  const nc = await connectNats({ servers: `nats://127.0.0.1:${tlsServer.port}` });
  t.teardown(() => nc.close()); // also when an assertion fails (it ends the test)
  t.false(nc.isClosed());
});

test('nats:// to a plain server stays plain (TLS is not forced)', async (t) => {
  const nc = await connectNats({ servers: `nats://127.0.0.1:${plainServer.port}` });
  t.teardown(() => nc.close()); // also when an assertion fails (it ends the test)
  t.false(nc.isClosed());
});

test('a CA of its own (nats.tls.ca) still replaces the store: the extra certificates do not widen it', async (t) => {
  const other = mkdtempSync(join(tmpdir(), 'tasker-nats-other-ca-'));
  execFileSync('openssl', ['req', '-x509', '-newkey', 'rsa:2048', '-nodes', '-keyout', 'o.key', '-out', 'o.pem', '-days', '1', '-subj', '/CN=other'], { cwd: other, stdio: 'pipe' });
  await t.throwsAsync(connectNats({ servers: `tls://127.0.0.1:${tlsServer.port}`, tls: { ca: join(other, 'o.pem') } }), { message: /certificate/i });
});
