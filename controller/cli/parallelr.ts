// The bin (scripts/bundle-cli.mjs bundles this file) starts Node with NODE_EXTRA_CA_CERTS moved
// aside; the first import puts it back (shared/extra-ca-certs.ts).
import './deferred-ca-env.js';
import { basename } from 'node:path';
import { processIo } from '../../shared/cli-io.js';
import { failInternally, installLastResortHandler } from '../../shared/last-resort-handler.js';
import { run } from '../parallelr/cli.js';

installLastResortHandler('parallelr');
const io = processIo();
run(process.argv.slice(2), io, { programName: basename(process.argv[1] ?? 'parallelr') }).then(
  (code) => {
    io.dispose();
    process.exitCode = code;
  },
  (error: unknown) => failInternally('parallelr', error),
);
