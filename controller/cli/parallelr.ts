// The bin (scripts/bundle-cli.mjs bundles this file) starts Node with NODE_EXTRA_CA_CERTS moved
// aside; the first import puts it back (shared/extra-ca-certs.ts).
import './deferred-ca-env.js';
import { basename } from 'node:path';
import { processIo } from '../../shared/cli-io.js';
import { failInternally, installLastResortHandler } from '../../shared/last-resort-handler.js';
import { run, type RunContext } from '../parallelr/index.js';

installLastResortHandler('parallelr');
const io = processIo({ program: 'parallelr', carryOnAfterHangup: true });
// Loaded only for --nats/--pool/--resume, so a local run does not load the NATS client.
const runDistributed: RunContext['runDistributed'] = async (req, cliIo) => (await import('../nats/index.js')).runDistributedCli(req, cliIo);
run(process.argv.slice(2), io, { programName: basename(process.argv[1] ?? 'parallelr'), runDistributed }).then(
  (code) => {
    io.dispose();
    process.exitCode = code;
  },
  (error: unknown) => failInternally('parallelr', error),
);
