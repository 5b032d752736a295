import test from 'ava';
import { ConcurrencyLimiter } from '../../agent/server/limiter.js';
import { AbortedError, BusyError } from '../../shared/errors/index.js';

test('a queued call leaves the queue when cancelled, also when it was cancelled before it got there', async (t) => {
  const limiter = new ConcurrencyLimiter(1, 2);
  const release = await limiter.acquire();
  const before = new AbortController();
  before.abort();
  await t.throwsAsync(limiter.acquire(before.signal), { instanceOf: AbortedError, message: 'canceled while queued' });
  t.is(limiter.queued, 0, 'no waiter left behind to hold a slot it will never give back');
  const later = new AbortController();
  const waiting = limiter.acquire(later.signal);
  t.is(limiter.queued, 1);
  later.abort();
  await t.throwsAsync(waiting, { instanceOf: AbortedError });
  t.is(limiter.queued, 0);
  const next = limiter.acquire();
  release();
  const releaseNext = await next;
  t.is(limiter.running, 1);
  releaseNext();
  t.is(limiter.running, 0);
});

test('beyond the queue a call is refused at once', async (t) => {
  const limiter = new ConcurrencyLimiter(1, 0);
  const release = await limiter.acquire();
  await t.throwsAsync(limiter.acquire(), { instanceOf: BusyError });
  release();
});
