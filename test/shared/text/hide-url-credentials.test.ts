import test from 'ava';
import { hideUrlCredentials } from '../../../shared/text/index.js';

const hides = test.macro({
  exec(t, text: string, expected: string) {
    t.is(hideUrlCredentials(text), expected);
  },
  title: (provided, text: string, expected: string) => provided ?? `${text} → ${expected}`,
});

test(hides, 'nats://ops:s3cret@nats1:4222', 'nats://***@nats1:4222');
test(hides, 'tls://tok-123@nats1', 'tls://***@nats1');
test(hides, '--nats=nats://a:b@n1:4222,nats://a:b@n2:4222', '--nats=nats://***@n1:4222,nats://***@n2:4222');
test(hides, 'nats://p%40ss:w@n1', 'nats://***@n1');
test('a URL without credentials, an @ in its path, and text that is no URL are left as they are', (t) => {
  for (const text of ['nats://nats1:4222', 'https://example.com/users/a@b', 'mailto:ops@example.com', 'ops@example.com', '-T', '']) t.is(hideUrlCredentials(text), text);
});
