#!/usr/bin/env node
import { processIo } from '../../shared/cli-io.js';
import { failInternally, installLastResortHandler } from '../../shared/last-resort-handler.js';
import { run } from './run.js';

installLastResortHandler('tasker-agent');
const io = processIo();
try {
  process.exitCode = await run(process.argv.slice(2), io);
} catch (error) {
  failInternally('tasker-agent', error);
}
io.dispose();
