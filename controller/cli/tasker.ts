// The bin (scripts/bundle-cli.mjs bundles this file) starts Node with NODE_EXTRA_CA_CERTS moved
// aside; the first import puts it back (shared/extra-ca-certs.ts).
import './deferred-ca-env.js';
import { processIo } from '../../shared/cli-io.js';
import { failInternally, installLastResortHandler } from '../../shared/last-resort-handler.js';
import { runTasker } from './tasker-main.js';

installLastResortHandler('tasker');
const io = processIo({ program: 'tasker', carryOnAfterHangup: true });
runTasker(process.argv.slice(2), io).then(
  (code) => {
    io.dispose();
    process.exitCode = code;
  },
  (error: unknown) => failInternally('tasker', error),
);
