// The read-only web console (scripts/bundle-cli.mjs bundles this file into tasker-ui.cjs).
import './deferred-ca-env.js';
import { processIo } from '../../shared/cli-io.js';
import { failInternally, installLastResortHandler } from '../../shared/last-resort-handler.js';
import { runConsole } from '../console/index.js';

installLastResortHandler('tasker-ui');
const io = processIo({ program: 'tasker-ui' });
runConsole(process.argv.slice(2), io).then(
  (code) => {
    io.dispose();
    process.exitCode = code;
  },
  (error: unknown) => failInternally('tasker-ui', error),
);
