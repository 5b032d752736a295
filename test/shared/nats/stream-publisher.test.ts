/** StreamPublisher against a real nats-server: every kind of answer JetStream gives a publish. */
import test from 'ava';
import type { NatsConnection } from '@nats-io/transport-node';
import { connectNats, jetStreamManagerOf } from '../../../shared/nats/connection.js';
import { openStreamPublisher } from '../../../shared/nats/stream-publisher.js';
import { StoreError } from '../../../shared/errors/index.js';
import { startNatsServer, type TestNatsServer } from '../../helpers/nats-server.js';

let server: TestNatsServer;
let nc: NatsConnection;
const data = new TextEncoder().encode('{"x":1}');

test.before(async () => {
  server = await startNatsServer();
  nc = await connectNats({ servers: server.url });
  const jsm = await jetStreamManagerOf(nc, server.url);
  await jsm.streams.add({ name: 'SP', subjects: ['sp.>'] });
});
test.after.always(async () => {
  await nc?.close();
  await server?.dispose();
});

test('a stored message is acknowledged with its stream and sequence; the same message id again is a duplicate', async (t) => {
  const store = await openStreamPublisher(nc);
  const first = await store.publish('sp.a', data, { msgID: 'a-1' });
  t.is(first.stream, 'SP');
  t.true(first.seq > 0);
  t.false(first.duplicate);
  const again = await store.publish('sp.a', data, { msgID: 'a-1' });
  t.deepEqual(again, { stream: 'SP', seq: first.seq, duplicate: true });
  const other = await store.publish('sp.a', data, { msgID: 'a-2' });
  t.true(other.seq > first.seq);
  t.false(other.duplicate);
  store.close();
});

test('many publishes at once are each answered with their own sequence', async (t) => {
  const store = await openStreamPublisher(nc);
  const acks = await Promise.all(Array.from({ length: 50 }, (_, i) => store.publish(`sp.many.${i}`, data)));
  t.is(new Set(acks.map((a) => a.seq)).size, 50);
  store.close();
});

test('an expected last subject sequence that does not match is refused with JetStream error 10071, not transient', async (t) => {
  const store = await openStreamPublisher(nc);
  const stored = await store.publish('sp.claim', data, { expectLastSubjectSequence: 0 });
  const e = await t.throwsAsync(store.publish('sp.claim', data, { expectLastSubjectSequence: 0 }), { instanceOf: StoreError });
  t.is(e?.apiCode, 10071);
  t.false(e?.transient);
  t.regex(e?.message ?? '', /wrong last sequence/);
  const next = await store.publish('sp.claim', data, { expectLastSubjectSequence: stored.seq });
  t.true(next.seq > stored.seq);
  store.close();
});

test('a subject no stream listens on: no responders (503), transient', async (t) => {
  const store = await openStreamPublisher(nc);
  const e = await t.throwsAsync(store.publish('nostream.x', data), { instanceOf: StoreError });
  t.is(e?.status, 503);
  t.true(e?.transient);
  store.close();
});

test('an answer that never comes: a timeout, transient', async (t) => {
  const silent = nc.subscribe('silent.x'); // listens, never answers: no 503 either
  const store = await openStreamPublisher(nc);
  const e = await t.throwsAsync(store.publish('silent.x', data, { timeoutMs: 300 }), { instanceOf: StoreError });
  t.regex(e?.message ?? '', /^timeout/);
  t.true(e?.transient);
  silent.unsubscribe();
  store.close();
});

test('closing the connection fails what is pending, and later publishes, not transient', async (t) => {
  const own = await connectNats({ servers: server.url });
  own.subscribe('silent.y');
  const store = await openStreamPublisher(own);
  const pending = store.publish('silent.y', data, { timeoutMs: 60_000 });
  await own.flush();
  await own.close();
  const e = await t.throwsAsync(pending, { instanceOf: StoreError });
  t.false(e?.transient);
  await t.throwsAsync(store.publish('sp.a', data), { instanceOf: StoreError, message: /connection closed/ });
});
