/**
 * Fuzzing the agent's request parsing on the wire: mutated Execute and Session request bytes
 * (flipped bytes, truncations, inserted and random fields, random payloads) sent to a real agent.
 * Every call must end with a result or a gRPC status (no hang), the agent must stay up and log no
 * stack trace, and a valid call must work afterwards. A new seed per run; FUZZ_SEED=N repeats one.
 *
 * The agent allows only exec type `local`, and the base request runs a program that does not
 * exist, so no mutation can run a real command.
 */
import test from 'ava';
import { encodeExecuteRequest, encodeSessionRequest } from '../../controller/agents/agent-codec.js';
import { openAgentConnection, type AgentConnection } from '../../controller/agents/index.js';
import type { MethodDefinition, StreamingCall } from '../../controller/agents/grpc-client.js';
import type { ExecuteRequest } from '../../shared/proto/generated/tasker/agent/v1/ExecuteRequest.js';
import { startAgent, type AgentProcess } from '../helpers/agent-process.js';

let agent: AgentProcess;
let conn: AgentConnection;

test.before(async () => {
  agent = await startAgent(['--listen', '127.0.0.1:0', '--insecure-loopback', '--allow-exec', 'local']);
  conn = await openAgentConnection({ name: 'fuzz', kind: 'plain', address: agent.address });
});

test.after.always(async () => {
  await conn?.close();
  await agent?.stop();
});

const seed0 = Number(process.env['FUZZ_SEED'] ?? Date.now() % 1_000_000_007);
let seed = seed0;
/** mulberry32 */
function rand(): number {
  seed = (seed + 0x6d2b79f5) | 0;
  let x = Math.imul(seed ^ (seed >>> 15), 1 | seed);
  x = (x + Math.imul(x ^ (x >>> 7), 61 | x)) ^ x;
  return ((x ^ (x >>> 14)) >>> 0) / 4294967296;
}
const int = (n: number) => Math.floor(rand() * n);
const bytes = (n: number) => Buffer.from(Array.from({ length: n }, () => int(256)));

/** One mutation of `base`: what a broken or hostile client might send. */
function mutate(base: Buffer): Buffer {
  const b = Buffer.from(base);
  switch (int(6)) {
    case 0: // flip a few bytes
      for (let i = 0, n = 1 + int(4); i < n; i++) b[int(b.length)] = int(256);
      return b;
    case 1: // truncate
      return b.subarray(0, int(b.length));
    case 2: // insert random bytes
      return Buffer.concat([b.subarray(0, int(b.length + 1)), bytes(1 + int(12)), b.subarray(int(b.length + 1))]);
    case 3: // append a field with a random tag and wire type, then junk
      return Buffer.concat([b, Buffer.from([int(256), int(256)]), bytes(int(20))]);
    case 4: // a huge declared length
      return Buffer.concat([b, Buffer.from([0x2a, 0xff, 0xff, 0xff, 0xff, 0x0f]), bytes(int(8))]);
    default: // random bytes
      return bytes(int(64));
  }
}

const base: ExecuteRequest = {
  run_id: 'fuzz', task_id: '1', exec_type: 'local', hostname: 'localhost', command: '/nonexistent/tasker-fuzz', arguments: 'a "b c"',
  timeout_ms: 5000, output_cap: 1024, call_id: 'c1', after_call: '',
};

/** A method whose request is sent as the given bytes. */
function raw<Res>(method: MethodDefinition<never, Res>): MethodDefinition<Buffer, Res> {
  return { ...method, requestSerialize: (b: Buffer) => b };
}

/** How a call ended: 'finished' (a result), 'failed N' (a session call's status), 'status N', 'end'. */
function outcome(call: StreamingCall<{ finished?: unknown; failed?: { code: number } | null }>): Promise<string> {
  return new Promise((resolve) => {
    call.on('data', (e) => {
      if (e.finished) resolve('finished');
      else if (e.failed) resolve(`failed ${e.failed.code}`);
    });
    call.on('error', (e: { status: number }) => resolve(`status ${e.status}`));
    call.on('end', () => resolve('end'));
  });
}

/** How a stream ended: 'end' (OK status) or 'status N'. */
function streamEnd(call: StreamingCall<unknown>): Promise<string> {
  return new Promise((resolve) => {
    call.on('data', () => undefined);
    call.on('error', (e: { status: number }) => resolve(`status ${e.status}`));
    call.on('end', () => resolve('end'));
  });
}

test.serial('mutated Execute requests: every call ends with a result or a status, the agent stays up and logs no stack trace', async (t) => {
  const good = encodeExecuteRequest(base);
  const seen = new Map<string, number>();
  for (let i = 0; i < 300; i++) {
    const call = conn.client.serverStream(raw(conn.methods.execute), mutate(good), Date.now() + 20_000);
    const how = await outcome(call);
    seen.set(how, (seen.get(how) ?? 0) + 1);
    // A deadline means the agent never answered.
    t.not(how, 'status 4', `seed ${seed0}: call ${i} hung`);
  }
  t.log(`seed ${seed0}:`, JSON.stringify(Object.fromEntries(seen)));
  t.is(agent.child.exitCode, null, 'the agent is still running');
  t.notRegex(agent.log(), /\n\s+at |uncaught|unhandled/i, `seed ${seed0}: no stack trace in the agent's log`);
  const valid = await outcome(conn.client.serverStream(conn.methods.execute, { ...base, command: '/bin/echo' }, Date.now() + 10_000));
  t.is(valid, 'finished');
});

test.serial('mutated Session requests: each stream ends or answers, the agent stays up, a valid session works afterwards', async (t) => {
  const requests = [
    encodeSessionRequest({ execute: base }),
    encodeSessionRequest({ cancel: 'c1' }),
    encodeSessionRequest({ pause: 'c1' }),
    encodeSessionRequest({ resume: 'c1' }),
  ];
  const seen = new Map<string, number>();
  for (let i = 0; i < 200; i++) {
    const stream = conn.client.bidiStream(raw(conn.methods.session));
    // A few messages per stream, mutated or not, then half-close: the agent must end the stream.
    const sent: string[] = [];
    for (let k = 0, n = 1 + int(4); k < n; k++) {
      const r = requests[int(requests.length)]!;
      const message = rand() < 0.7 ? mutate(r) : r;
      sent.push(message.toString('hex'));
      stream.write(message);
    }
    stream.end();
    const how = await Promise.race([
      streamEnd(stream),
      new Promise<string>((resolve) => setTimeout(() => resolve('hung'), 20_000)),
    ]);
    stream.cancel();
    seen.set(how, (seen.get(how) ?? 0) + 1);
    t.not(how, 'hung', `seed ${seed0}: session ${i} was never ended by the agent; it sent ${JSON.stringify(sent)}`);
  }
  t.log(`seed ${seed0}:`, JSON.stringify(Object.fromEntries(seen)));
  t.is(agent.child.exitCode, null, 'the agent is still running');
  t.notRegex(agent.log(), /\n\s+at |uncaught|unhandled/i, `seed ${seed0}: no stack trace in the agent's log`);
  const stream = conn.client.bidiStream(conn.methods.session);
  stream.write({ execute: { ...base, command: '/bin/echo' } });
  t.is(await outcome(stream), 'finished');
  stream.cancel();
});

test.serial('a Session request it cannot decode, after requests it answered: the session ends with INTERNAL, every time', async (t) => {
  // Found by the fuzz test above (seed 880004222): grpc-js ended the call with its own status but
  // still handed over the queued requests, and the answer to one of them, written after that end,
  // broke the stream before its trailers left: the client waited forever.
  const refused = encodeSessionRequest({ execute: { ...base, call_id: '' } }); // answered: failed INVALID_ARGUMENT
  const undecodable = Buffer.concat([encodeSessionRequest({ cancel: 'c1' }), Buffer.from([0x2a, 0xff, 0xff, 0xff, 0xff, 0x0f])]);
  for (let i = 0; i < 20; i++) {
    const stream = conn.client.bidiStream(raw(conn.methods.session));
    for (const message of [refused, encodeSessionRequest({ resume: 'x' }), refused, undecodable]) stream.write(message);
    stream.end();
    const how = await Promise.race([streamEnd(stream), new Promise<string>((resolve) => setTimeout(() => resolve('hung'), 10_000))]);
    stream.cancel();
    t.is(how, 'status 13', `round ${i}`);
  }
});
