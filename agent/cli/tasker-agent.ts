#!/usr/bin/env node
import { processIo } from '../../shared/cli-io.js';
import { run } from './run.js';

const io = processIo();
process.exitCode = await run(process.argv.slice(2), io);
io.dispose();
