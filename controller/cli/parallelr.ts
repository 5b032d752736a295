// The bin (scripts/bundle-cli.mjs bundles this file) starts Node with NODE_EXTRA_CA_CERTS moved
// aside; the first import puts it back (shared/extra-ca-certs.ts).
import './deferred-ca-env.js';
import { basename } from 'node:path';
import { processIo } from '../../shared/cli-io.js';
import { run } from '../parallelr/cli.js';
import { ParallelrExit } from '../parallelr/exit-codes.js';

const io = processIo();
run(process.argv.slice(2), io, { programName: basename(process.argv[1] ?? 'parallelr') }).then(
  (code) => {
    io.dispose();
    process.exitCode = code;
  },
  (error: unknown) => {
    process.stderr.write(`parallelr: internal error: ${error instanceof Error ? error.message : String(error)}\n`);
    process.exitCode = ParallelrExit.FAILED;
  },
);
