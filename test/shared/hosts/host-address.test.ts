/** `[user@]host[:port]` wherever a hostname is written (issue 15, item 2): parts and refusals. */
import test from 'ava';
import { formatHostAddress, parseHostAddress, type HostAddress } from '../../../shared/hosts/host-address.js';

const parses = test.macro({
  exec(t, written: string, expected: Omit<HostAddress, 'text'>) {
    const r = parseHostAddress(written);
    t.deepEqual(r, { ok: true, address: { text: written.trim(), ...expected } });
  },
  title: (_, written) => `parses \`${written}\``,
});

test(parses, 'web01', { host: 'web01' });
test(parses, ' web01.example.com ', { host: 'web01.example.com' });
test(parses, 'ops@web01', { host: 'web01', user: 'ops' });
test(parses, 'web01:2222', { host: 'web01', port: 2222 });
test(parses, 'root@127.0.0.1:22022', { host: '127.0.0.1', user: 'root', port: 22022 });
test(parses, '::1', { host: '::1' });
test(parses, '::1:22', { host: '::1:22' }); // a bare IPv6 address never carries a port
test(parses, '[::1]', { host: '::1' });
test(parses, '[::1]:22', { host: '::1', port: 22 });
test(parses, 'ops@[fe80::1]:2200', { host: 'fe80::1', user: 'ops', port: 2200 });
test(parses, 'CORP\\jdoe@web01', { host: 'web01', user: 'CORP\\jdoe' });

const refuses = test.macro({
  exec(t, written: string, message: string) {
    t.deepEqual(parseHostAddress(written), { ok: false, message });
  },
  title: (_, written) => `refuses \`${written}\``,
});

test(refuses, '', 'the host is empty');
test(refuses, '@web01', "'@web01' has no user before '@' (write user@host, or just host)");
test(refuses, 'ops@', "'ops@' has no host after '@'");
test(refuses, 'web01:', "port '' in 'web01:' must be 1-65535");
test(refuses, 'web01:0', "port '0' in 'web01:0' must be 1-65535");
test(refuses, 'web01:65536', "port '65536' in 'web01:65536' must be 1-65535");
test(refuses, 'web01:22x', "port '22x' in 'web01:22x' must be 1-65535");
test(refuses, ':22', "':22' has no host before ':'");
test(refuses, 'bad_host!', "'bad_host!' is not a valid host name or IP address");
test(refuses, '300.1.1.1:22', "'300.1.1.1' is not a valid host name or IP address");
test(refuses, '[web01]:22', "'[web01]' in '[web01]:22' is not an IPv6 address");
test(refuses, '[::1', "'[::1' has an unclosed '[' (write an IPv6 address with a port as [::1]:22)");
test(refuses, 'fe80::zz', "'fe80::zz' in 'fe80::zz' is not an IPv6 address (with a port, write [ADDRESS]:PORT)");
test(refuses, 'a@b@web01', "'a@b' in 'a@b@web01' is not a valid user name");
test(refuses, 'o ps@web01', "'o ps' in 'o ps@web01' is not a valid user name");

test('formatHostAddress writes the parts back, IPv6 in brackets only before a port', (t) => {
  t.is(formatHostAddress({ host: 'web01.example.com', user: 'ops', port: 2222 }), 'ops@web01.example.com:2222');
  t.is(formatHostAddress({ host: '::1', port: 22 }), '[::1]:22');
  t.is(formatHostAddress({ host: '::1' }), '::1');
  for (const w of ['ops@[fe80::1]:2200', 'web01', 'root@127.0.0.1:22022']) {
    const r = parseHostAddress(w);
    t.true(r.ok);
    if (r.ok) t.is(formatHostAddress(r.address), w);
  }
});
