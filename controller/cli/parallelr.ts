#!/usr/bin/env node
import { basename } from 'node:path';
import { processIo } from '../../shared/cli-io.js';
import { run } from '../parallelr/cli.js';

const io = processIo();
process.exitCode = await run(process.argv.slice(2), io, { programName: basename(process.argv[1] ?? 'parallelr') });
io.dispose();
