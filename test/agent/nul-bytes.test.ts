/**
 * A NUL byte in any string field of a request is refused with INVALID_ARGUMENT naming the field
 * (issue 13, item 3). Before, `arguments: "hello\0; touch FILE"` ran `echo hello` — the command
 * cut at the NUL, not what was sent. Raw grpc-js calls to a real agent on a Unix socket: Execute,
 * a call on a Session, and CheckHosts.
 */
import test from 'ava';
import * as grpc from '@grpc/grpc-js';
import { existsSync } from 'node:fs';
import { join } from 'node:path';
import type { AgentClient } from '../../shared/proto/generated/tasker/agent/v1/Agent.js';
import type { ExecuteRequest } from '../../shared/proto/generated/tasker/agent/v1/ExecuteRequest.js';
import type { SessionEvent__Output } from '../../shared/proto/generated/tasker/agent/v1/SessionEvent.js';
import { loadProtos } from '../../shared/proto/load-proto.js';
import { tempDir } from '../helpers/run-cli.js';
import { freshSocket, startAgent, type AgentProcess } from '../helpers/agent-process.js';

let agent: AgentProcess;
let client: AgentClient;

test.before(async () => {
  agent = await startAgent(['--listen', await freshSocket()]);
  const protos = await loadProtos();
  client = new protos.agent.tasker.agent.v1.Agent(agent.address, grpc.credentials.createInsecure());
});
test.after.always(async () => {
  client?.close();
  await agent?.stop();
});

const request = (fields: Partial<ExecuteRequest>): ExecuteRequest => ({
  run_id: 'nul', task_id: '1', exec_type: 'local', hostname: 'localhost', command: 'echo', arguments: 'hi', timeout_ms: 10_000, ...fields,
});

/** An Execute call's final status and whether anything was started. */
function execute(req: ExecuteRequest): Promise<{ status: grpc.StatusObject; started: boolean }> {
  return new Promise((resolve) => {
    let started = false;
    const call = client.Execute(req, { deadline: Date.now() + 20_000 });
    call.on('data', (e: { started?: unknown }) => (started ||= Boolean(e.started)));
    call.on('error', () => undefined);
    call.on('status', (status) => resolve({ status, started }));
  });
}

const refusedExecute = test.macro(async (t, field: keyof ExecuteRequest, value: string) => {
  const dir = tempDir('tasker-nul-');
  const flag = join(dir, 'ran.flag');
  const r = await execute(request({ command: 'sh', arguments: `-c 'touch ${flag}'`, [field]: value.replace('FLAG', flag) }));
  t.is(r.status.code, grpc.status.INVALID_ARGUMENT);
  t.is(r.status.details, `${field} must not contain a NUL byte (\\0): commands, arguments and host names are C strings`);
  t.false(r.started);
  t.false(existsSync(flag), 'nothing ran');
});
test('Execute: a NUL in arguments is refused naming the field', refusedExecute, 'arguments', "-c 'touch FLAG'\0; rm -rf /");
test('Execute: a NUL in command is refused naming the field', refusedExecute, 'command', 'sh\0evil');
test('Execute: a NUL in hostname is refused naming the field', refusedExecute, 'hostname', 'web01\0');
test('Execute: a NUL in run_id is refused naming the field', refusedExecute, 'run_id', 'r\0');
test('Execute: a NUL in exec_type is refused naming the field', refusedExecute, 'exec_type', 'local\0');

test('Session: a call with a NUL in arguments gets failed{INVALID_ARGUMENT} naming the field; the session goes on', async (t) => {
  const stream = client.Session();
  const events: SessionEvent__Output[] = [];
  const ended = new Promise<void>((resolve) => stream.on('status', () => resolve()));
  stream.on('error', () => undefined);
  const lastOf = (id: string) =>
    new Promise<SessionEvent__Output>((resolve) => {
      const check = (e: SessionEvent__Output) => {
        if (e.call_id === id && (e.event === 'failed' || e.event === 'finished')) resolve(e);
      };
      events.forEach(check);
      stream.on('data', check);
    });
  stream.on('data', (e: SessionEvent__Output) => events.push(e));
  stream.write({ execute: { ...request({ arguments: 'a\0b' }), call_id: 'c1' } });
  const bad = await lastOf('c1');
  t.is(bad.failed?.code, grpc.status.INVALID_ARGUMENT);
  t.is(bad.failed?.message, 'arguments must not contain a NUL byte (\\0): commands, arguments and host names are C strings');
  stream.write({ execute: { ...request({ arguments: 'still here' }), call_id: 'c2' } });
  const good = await lastOf('c2');
  t.is(good.finished?.exit_code, 0);
  t.is(Buffer.concat(events.filter((e) => e.call_id === 'c2' && e.stdout).map((e) => e.stdout!)).toString(), 'still here\n');
  stream.end();
  await ended;
});

test('CheckHosts: a NUL in a hostname is refused naming hosts[i].hostname', async (t) => {
  const err = await new Promise<grpc.ServiceError | null>((resolve) =>
    client.CheckHosts({ hosts: [{ hostname: 'localhost', exec_type: 'local' }, { hostname: 'web\0.example', exec_type: 'pbrun' }] }, { deadline: Date.now() + 20_000 }, (e) => resolve(e)),
  );
  t.is(err?.code, grpc.status.INVALID_ARGUMENT);
  t.is(err?.details, 'hosts[1].hostname must not contain a NUL byte (\\0): commands, arguments and host names are C strings');
});
