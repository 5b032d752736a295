// The bin (scripts/bundle-cli.mjs bundles this file with its npm packages into tasker-agent.cjs).
import { processIo } from '../../shared/cli-io.js';
import { failInternally, installLastResortHandler } from '../../shared/last-resort-handler.js';
import { run } from './run.js';

installLastResortHandler('tasker-agent');
const io = processIo({ program: 'tasker-agent' });
run(process.argv.slice(2), io).then(
  (code) => {
    io.dispose();
    process.exitCode = code;
  },
  (error: unknown) => failInternally('tasker-agent', error),
);
