import test from 'ava';
import { whenAborted } from '../../shared/when-aborted.js';

test('runs once when the signal aborts later, and not after it is taken off', (t) => {
  const c = new AbortController();
  let calls = 0;
  whenAborted(c.signal, () => calls++);
  t.is(calls, 0);
  c.abort();
  c.abort();
  t.is(calls, 1);
  const d = new AbortController();
  const off = whenAborted(d.signal, () => calls++);
  off();
  d.abort();
  t.is(calls, 1);
});

test('runs at once when the signal aborted before (a listener added then would never fire)', (t) => {
  const c = new AbortController();
  c.abort();
  let calls = 0;
  whenAborted(c.signal, () => calls++);
  t.is(calls, 1);
  t.notThrows(() => whenAborted(undefined, () => calls++)());
  t.is(calls, 1);
});
