/**
 * `askThroughOutage` (shared/nats/setup-patience.ts), what a resumed run asks JetStream with before it
 * publishes what is missing: an outage is waited out, a stop ends the wait, any other error is thrown.
 */
import test from 'ava';
import { askThroughOutage, connectNats, ensureStreams, jetStreamManagerOf, JOBS_STREAM } from '../../shared/nats/index.js';
import { startNatsServer } from '../helpers/nats-server.js';
import { sleep } from './fleet.js';

async function connected(t: Parameters<Parameters<typeof test>[1]>[0]) {
  const server = await startNatsServer();
  t.teardown(() => server.dispose());
  const nc = await connectNats({ servers: server.url });
  t.teardown(() => nc.close());
  const jsm = await jetStreamManagerOf(nc, server.url);
  await ensureStreams(jsm, { pool: 'asks', ackWaitMs: 2000 });
  return { server, jsm };
}

test('the server down, then back: the answer once it is back', async (t) => {
  const { server, jsm } = await connected(t);
  await server.stop();
  const asked = askThroughOutage(() => jsm.streams.info(JOBS_STREAM), new AbortController().signal);
  await sleep(3000);
  await server.restart();
  t.is((await asked)?.config.name, JOBS_STREAM);
});

test('the server down and the run stopped meanwhile: no answer, no error', async (t) => {
  const { server, jsm } = await connected(t);
  await server.stop();
  const stop = new AbortController();
  const asked = askThroughOutage(() => jsm.streams.info(JOBS_STREAM), stop.signal);
  await sleep(1500);
  stop.abort('SIGINT');
  t.is(await asked, undefined);
});

test('an error JetStream would repeat is thrown at once', async (t) => {
  const { jsm } = await connected(t);
  await t.throwsAsync(askThroughOutage(() => jsm.streams.info('NO_SUCH_STREAM'), new AbortController().signal), { message: /stream not found/ });
});
