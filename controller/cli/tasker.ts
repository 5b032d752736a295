// The bin (scripts/bundle-cli.mjs bundles this file) starts Node with NODE_EXTRA_CA_CERTS moved
// aside; the first import puts it back (shared/extra-ca-certs.ts).
import './deferred-ca-env.js';
import { processIo } from '../../shared/cli-io.js';
import { runTasker } from './tasker-main.js';

const io = processIo();
runTasker(process.argv.slice(2), io).then(
  (code) => {
    io.dispose();
    process.exitCode = code;
  },
  (error: unknown) => {
    process.stderr.write(`tasker: internal error: ${error instanceof Error ? error.message : String(error)}\n`);
    process.exitCode = 70;
  },
);
