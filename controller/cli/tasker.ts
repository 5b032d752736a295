#!/usr/bin/env -S -u NODE_EXTRA_CA_CERTS TASKER_NODE_EXTRA_CA_CERTS=${NODE_EXTRA_CA_CERTS} node
// First import: restores NODE_EXTRA_CA_CERTS, which the shebang moves aside (shared/extra-ca-certs.ts).
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
