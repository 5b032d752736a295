/**
 * The controller's agent message codec (protobufjs/light over the descriptors generated into
 * shared/proto/generated/descriptor.ts) against proto-loader on the real .proto files: what we
 * send decodes to the same message, what we receive decodes to the same object (defaults, enums
 * as names, 64-bit numbers, oneof name). proto3 leaves default values off the
 * wire or on it; both mean the same, so requests are compared decoded, not byte for byte.
 */
import test from 'ava';
import { join } from 'node:path';
import * as loader from '@grpc/proto-loader';
import { PROTO_LOADER_OPTIONS, packageRoot } from '../../../shared/proto/load-proto.js';
import { AGENT_METHODS } from '../../../controller/agents/agent-methods.js';

type Def = { path: string; requestSerialize(v: unknown): Buffer; requestDeserialize(b: Buffer): unknown; responseSerialize(v: unknown): Buffer; responseDeserialize(b: Buffer): unknown };
const dir = join(packageRoot(), 'proto');
const agent = loader.loadSync(join(dir, 'agent.proto'), PROTO_LOADER_OPTIONS)['tasker.agent.v1.Agent'] as unknown as Record<string, Def>;
const health = loader.loadSync(join(dir, 'health.proto'), PROTO_LOADER_OPTIONS)['grpc.health.v1.Health'] as unknown as Record<string, Def>;
const reference = { execute: agent['Execute']!, session: agent['Session']!, info: agent['Info']!, checkHosts: agent['CheckHosts']!, health: health['Check']! };

test('method paths match the services', (t) => {
  for (const [k, def] of Object.entries(reference)) t.is(AGENT_METHODS[k as keyof typeof AGENT_METHODS].path, def.path);
});

const requests = test.macro((t, method: keyof typeof AGENT_METHODS, value: unknown) => {
  const ours = (AGENT_METHODS[method].requestSerialize as (v: unknown) => Buffer)(value);
  t.deepEqual(reference[method].requestDeserialize(ours), reference[method].requestDeserialize(Buffer.from(reference[method].requestSerialize(value))));
});
test('ExecuteRequest', requests, 'execute', {
  run_id: 'run-1', task_id: '3.2', exec_type: 'pbrun', hostname: 'web01', command: 'systemctl', arguments: 'is-active "ngïnx €"', timeout_ms: 1_000_000, output_cap: 1 << 20,
});
test('ExecuteRequest, pipelined (call_id, after_call)', requests, 'execute', {
  run_id: 'r', task_id: '4', exec_type: 'local', hostname: 'h', command: 'c', arguments: '', timeout_ms: 5000, output_cap: 0, call_id: 'c12', after_call: 'c11',
});
test('ExecuteRequest with secret values to mask (one empty)', requests, 'execute', {
  run_id: 'r', task_id: '1', exec_type: 'local', hostname: 'h', command: 'c', arguments: 'a', timeout_ms: 5000, output_cap: 0, secret_values: ['hunter2', '', 'pässwörd'],
});
test('ExecuteRequest with defaults', requests, 'execute', { run_id: '', task_id: '0', exec_type: 'local', hostname: '', command: 'x', arguments: '', timeout_ms: 0, output_cap: 0 });
test('ExecuteRequest with a timeout of a day', requests, 'execute', { run_id: 'r', task_id: '1', exec_type: 'local', hostname: 'h', command: 'c', arguments: 'a', timeout_ms: 86_415_000, output_cap: 64 * 1024 * 1024 });
test('SessionRequest execute', requests, 'session', {
  execute: { run_id: 'r', task_id: '7', exec_type: 'shell', hostname: 'h', command: 'echo', arguments: 'a b', timeout_ms: 60_000, output_cap: 1 << 20, call_id: 'c3', after_call: 'c2' },
});
test('SessionRequest execute, defaults', requests, 'session', { execute: { exec_type: 'local', command: 'x', call_id: 'c1' } });
test('SessionRequest cancel', requests, 'session', { cancel: 'c42' });
test('SessionRequest pause', requests, 'session', { pause: 'c1' });
test('SessionRequest resume', requests, 'session', { resume: 'c1' });
test('SessionRequest cancel of an empty call id (still on the wire)', requests, 'session', { cancel: '' });
test('HealthCheckRequest', requests, 'health', { service: 'tasker.agent.v1.Agent' });
test('HealthCheckRequest, empty', requests, 'health', { service: '' });
test('InfoRequest', requests, 'info', {});
test('CheckHostsRequest', requests, 'checkHosts', { hosts: [{ hostname: 'a', exec_type: 'pbrun' }, { hostname: 'b.example.com', exec_type: 'local' }], check_connectivity: true });
test('CheckHostsRequest, none', requests, 'checkHosts', { hosts: [], check_connectivity: false });

const responses = test.macro((t, method: keyof typeof AGENT_METHODS, value: unknown) => {
  const bytes = Buffer.from(reference[method].responseSerialize(value));
  t.deepEqual((AGENT_METHODS[method].responseDeserialize as (b: Buffer) => unknown)(bytes), reference[method].responseDeserialize(bytes));
});
test('ExecuteEvent started', responses, 'execute', { started: { pid: 4_000_000 } });
test('ExecuteEvent stdout', responses, 'execute', { stdout: Buffer.from('héllo\n') });
test('ExecuteEvent empty stderr chunk', responses, 'execute', { stderr: Buffer.alloc(0) });
test('ExecuteEvent finished, all fields', responses, 'execute', {
  finished: {
    exit_code: -1, signal: 'SIGKILL', timed_out: true, duration_ms: 123_456, truncated: true, stdout_preview: Buffer.from('pre'),
    error: 'spawn ENOENT', canceled: true, stdout_bytes: 2 ** 40 + 7, stderr_bytes: 1_000_000_001, stderr_note: '\nProcess killed after timeout of 5 seconds',
  },
});
test('ExecuteEvent finished, not started', responses, 'execute', { finished: { not_started: true, canceled: true, error: 'its predecessor did not exit with status 0 on its own' } });
test('ExecuteEvent finished, defaults', responses, 'execute', { finished: {} });
test('ExecuteEvent finished, exit 255', responses, 'execute', { finished: { exit_code: 255 } });
test('SessionEvent started', responses, 'session', { call_id: 'c1', started: { pid: 77 } });
test('SessionEvent stdout', responses, 'session', { call_id: 'c2', stdout: Buffer.from('ünï\n') });
test('SessionEvent stderr', responses, 'session', { call_id: 'c2', stderr: Buffer.from('oops') });
test('SessionEvent finished', responses, 'session', { call_id: 'c9', finished: { exit_code: 3, duration_ms: 12, stdout_bytes: 2 ** 33 } });
test('SessionEvent finished, not started', responses, 'session', { call_id: 'c10', finished: { not_started: true, error: 'why' } });
test('SessionEvent failed', responses, 'session', { call_id: 'c4', failed: { code: 8, message: 'agent busy: 4 running, 16 queued' } });
test('SessionEvent failed, defaults, no call id', responses, 'session', { failed: {} });
test('HealthCheckResponse SERVING', responses, 'health', { status: 'SERVING' });
test('HealthCheckResponse NOT_SERVING', responses, 'health', { status: 'NOT_SERVING' });
test('HealthCheckResponse UNKNOWN (default)', responses, 'health', { status: 'UNKNOWN' });
test('InfoResponse', responses, 'info', {
  version: '0.1.0', exec_types: ['local', 'shell', 'pbrun'], running: 2, queued: 1, load_average: [0.5, 1.25, 3.75], hostname: 'jump1',
  max_concurrent: 8, max_queue: 64, draining: true, features: ['after_call', 'something-newer'],
});
test('InfoResponse, defaults', responses, 'info', {});
test('CheckHostsResponse', responses, 'checkHosts', {
  results: [{ hostname: 'a', exec_type: 'pbrun', ok: false, problems: ['a: does not resolve', 'a: no answer to ping'] }, { hostname: 'b', exec_type: 'local', ok: true, problems: [] }],
});

test('unknown fields are skipped; truncated input throws a RangeError (the call then fails INTERNAL)', (t) => {
  const finished = Buffer.from(reference.execute.responseSerialize({ finished: { exit_code: 3 } }));
  // Field 15 (varint) and field 16 (length-delimited) prepended: a newer agent's additions.
  const extra = Buffer.concat([Buffer.from([15 << 3, 42, (16 << 3) | 2, 0x01, 2, 0x61, 0x62]), finished]);
  t.is(AGENT_METHODS.execute.responseDeserialize(extra).finished!.exit_code, 3);
  t.throws(() => AGENT_METHODS.execute.responseDeserialize(finished.subarray(0, finished.length - 1)), { instanceOf: RangeError });
});
