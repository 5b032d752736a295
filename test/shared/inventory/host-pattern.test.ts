/** Host patterns: ranges as Ansible expands them, host:port, IPv6, and refusals with offsets. */
import test from 'ava';
import { expandHostPattern } from '../../../shared/inventory/index.js';

const expands = test.macro({
  exec(t, pattern: string, names: string[], port?: number) {
    const r = expandHostPattern(pattern);
    t.true(r.ok, JSON.stringify(r));
    if (!r.ok) return;
    t.deepEqual(r.names, names);
    t.is(r.port, port);
  },
  title: (_, pattern: string) => `expands ${pattern}`,
});

test(expands, 'web01', ['web01']);
test(expands, 'web[1:3]', ['web1', 'web2', 'web3']);
test(expands, 'web[01:03]', ['web01', 'web02', 'web03']);
test(expands, 'web[08:12:2].example.com', ['web08.example.com', 'web10.example.com', 'web12.example.com']);
test(expands, 'db-[a:c]', ['db-a', 'db-b', 'db-c']);
test(expands, 'r[1:2]-[a:b]', ['r1-a', 'r1-b', 'r2-a', 'r2-b']);
test(expands, 'n[:2]', ['n0', 'n1', 'n2']);
test(expands, 'web01:2222', ['web01'], 2222);
test(expands, 'web[1:2]:2222', ['web1', 'web2'], 2222);
test(expands, '192.0.2.7:22', ['192.0.2.7'], 22);
test(expands, '2001:db8::1', ['2001:db8::1']);
test(expands, '[2001:db8::1]:2200', ['2001:db8::1'], 2200);

const refuses = test.macro({
  exec(t, pattern: string, message: RegExp, offset: number) {
    const r = expandHostPattern(pattern);
    t.false(r.ok);
    if (r.ok) return;
    t.regex(r.message, message);
    t.is(r.offset, offset);
  },
  title: (_, pattern: string) => `refuses ${pattern}`,
});

test(refuses, 'web[3:1]', /ends before it begins/, 3);
test(refuses, 'web[1:x]', /from a number to a number/, 3);
test(refuses, 'web[1:5:0]', /step '0'/, 3);
test(refuses, 'web[1:5', /'\[' without '\]'/, 3);
test(refuses, 'web]1', /'\]' without '\['/, 3);
test(refuses, 'web01:http', /not a port number/, 6);
test(refuses, 'web01:0', /port 0 is not from 1 to 65535/, 6);
test(refuses, 'we b', /not a valid host name/, 0);
test(refuses, 'h[0:999999]', /more than 100000 hosts/, 1);
test(refuses, 'a[0:999]b[0:999]', /more than 100000 hosts/, 1);
