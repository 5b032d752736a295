import test from 'ava';
import { parseListenAddress, type ListenAddress } from '../../agent/server/listen-address.js';
import { ConfigError } from '../../shared/errors/index.js';

const parses = test.macro((t, text: string, expected: ListenAddress) => {
  t.deepEqual(parseListenAddress(text, '--listen', '/srv'), expected);
});
test('127.0.0.1:50051', parses, '127.0.0.1:50051', { kind: 'tcp', host: '127.0.0.1', port: 50051, bind: '127.0.0.1:50051', loopback: true });
test('[::1]:0', parses, '[::1]:0', { kind: 'tcp', host: '::1', port: 0, bind: '[::1]:0', loopback: true });
test('0.0.0.0:50051 is not loopback', parses, '0.0.0.0:50051', { kind: 'tcp', host: '0.0.0.0', port: 50051, bind: '0.0.0.0:50051', loopback: false });
test('unix:/run/a.sock', parses, 'unix:/run/a.sock', { kind: 'unix', path: '/run/a.sock', bind: 'unix:/run/a.sock' });
test('unix:///run/a.sock (grpc-js form)', parses, 'unix:///run/a.sock', { kind: 'unix', path: '/run/a.sock', bind: 'unix:/run/a.sock' });
test('unix:relative is taken from the working directory', parses, 'unix:run/a.sock', { kind: 'unix', path: '/srv/run/a.sock', bind: 'unix:/srv/run/a.sock' });

const refuses = test.macro((t, text: string, message: string) => {
  const err = t.throws(() => parseListenAddress(text, 'agent.listen in a.yaml'), { instanceOf: ConfigError });
  t.is(err?.message, message);
});
const FORMS = 'HOST:PORT (e.g. 127.0.0.1:50051, [::1]:50051) or unix:PATH (e.g. unix:/run/tasker-agent/agent.sock)';
test('refuses :50994', refuses, ':50994', `agent.listen in a.yaml must be ${FORMS}, got \`:50994\` (the host is missing: 127.0.0.1:50994 for loopback, 0.0.0.0:50994 for every interface)`);
test('refuses port 99999', refuses, 'localhost:99999', 'agent.listen in a.yaml port must be 0-65535, got `99999` in `localhost:99999`');
test('refuses a missing port', refuses, '127.0.0.1', `agent.listen in a.yaml must be ${FORMS}, got \`127.0.0.1\``);
test('refuses a bare IPv6 address', refuses, '::1:50051', `agent.listen in a.yaml must be ${FORMS}, got \`::1:50051\``);
test('refuses unix: without a path', refuses, 'unix:', 'agent.listen in a.yaml unix:PATH needs a socket path, got `unix:`');
test('refuses a NUL in the socket path', refuses, 'unix:/run/a\0b', 'agent.listen in a.yaml: the socket path holds a NUL byte');
