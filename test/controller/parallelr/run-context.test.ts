/** parallelr reaches the distributed runner through RunContext: the bin hands it in; parallelr/ does not import nats/. */
import test from 'ava';
import { run, type DistributedCliRequest } from '../../../controller/parallelr/index.js';
import { fakeIo, makeSandbox } from './helpers.js';

test('--resume goes to the runner the caller hands in, with the config files and flags', async (t) => {
  const sb = makeSandbox();
  const io = fakeIo(sb);
  const calls: DistributedCliRequest[] = [];
  const code = await run(['--resume', 'r123', '--pool', 'web', '-q'], io, {
    runDistributed: async (req) => {
      calls.push(req);
      return 7;
    },
  });
  t.is(code, 7, io.err());
  t.is(calls.length, 1);
  t.is(calls[0]!.resume, 'r123');
  t.is(calls[0]!.pool, 'web');
  t.true(calls[0]!.quiet);
  t.is(calls[0]!.configFiles?.length, 2);
});

test('without a runner, --resume is one clear error line and exit 1, not a crash', async (t) => {
  const sb = makeSandbox();
  const io = fakeIo(sb);
  t.is(await run(['--resume', 'r123'], io), 1);
  t.is(io.err(), 'parallelr: error: --nats, --pool, --resume and --watch need the distributed runner, which the parallelr bin provides; start parallelr through its bin\n');
});
