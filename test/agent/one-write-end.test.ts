/**
 * The agent's one-write interceptor on a real grpc-js server and client: messages and status
 * arrive intact, other methods pass through, and grpc-js still exposes the internal HTTP/2 stream
 * the interceptor corks (if an upgrade removes it, the agent keeps working but writes three times
 * per short task again; this test is what notices).
 */
import test from 'ava';
import * as grpc from '@grpc/grpc-js';
import { EXECUTE_PATH, http2StreamOf, oneWriteEndInterceptor } from '../../agent/server/one-write-end.js';

type Msg = Record<string, unknown>;
const json = {
  requestSerialize: (m: Msg) => Buffer.from(JSON.stringify(m)),
  requestDeserialize: (b: Buffer) => JSON.parse(b.toString()) as Msg,
  responseSerialize: (m: Msg) => Buffer.from(JSON.stringify(m)),
  responseDeserialize: (b: Buffer) => JSON.parse(b.toString()) as Msg,
};
const service = {
  execute: { path: EXECUTE_PATH, requestStream: false, responseStream: true, originalName: 'Execute', ...json },
  other: { path: '/tasker.agent.v1.Agent/Other', requestStream: false, responseStream: true, originalName: 'Other', ...json },
} as unknown as grpc.ServiceDefinition;

test('Execute through the interceptor: started, output, finished and OK arrive in order; grpc-js exposes the stream it corks', async (t) => {
  const seen: boolean[] = [];
  const probe: grpc.ServerInterceptor = (method, call) => {
    if (method.path === EXECUTE_PATH) seen.push(http2StreamOf(call) !== undefined);
    return call as grpc.ServerInterceptingCall;
  };
  const server = new grpc.Server({ interceptors: [probe, oneWriteEndInterceptor(grpc)] });
  const handler = (call: grpc.ServerWritableStream<Msg, Msg>) => {
    call.write({ started: { pid: 1 } });
    call.write({ stdout: 'x'.repeat(100) });
    call.write({ finished: { exitCode: 0 } });
    call.end();
  };
  server.addService(service, { execute: handler, other: handler });
  const port = await new Promise<number>((resolve, reject) =>
    server.bindAsync('127.0.0.1:0', grpc.ServerCredentials.createInsecure(), (e, p) => (e ? reject(e) : resolve(p))),
  );
  const Client = grpc.makeGenericClientConstructor(service, 'Agent');
  const client = new Client(`127.0.0.1:${port}`, grpc.credentials.createInsecure()) as unknown as Record<string, (req: Msg) => grpc.ClientReadableStream<Msg>>;
  try {
    for (const name of ['execute', 'other']) {
      const messages: Msg[] = [];
      const status = await new Promise<grpc.StatusObject>((resolve) => {
        const call = client[name]!({ argv: ['true'] });
        call.on('data', (m: Msg) => messages.push(m));
        call.on('status', resolve);
        call.on('error', () => undefined);
      });
      t.is(status.code, grpc.status.OK, name);
      t.deepEqual(messages, [{ started: { pid: 1 } }, { stdout: 'x'.repeat(100) }, { finished: { exitCode: 0 } }], name);
    }
    t.deepEqual(seen, [true], 'the interceptor found grpc-js\'s HTTP/2 stream on the Execute call');
  } finally {
    (client as unknown as grpc.Client).close();
    server.forceShutdown();
  }
});
