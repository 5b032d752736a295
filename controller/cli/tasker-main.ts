/**
 * `tasker` as a function: `runTasker(argv, io)` returns the exit code. The command line is parsed
 * and the run carried out by the typed pipeline in controller/run/ (load → validate → preflight →
 * execute → record); this module is the CLI's name for it.
 */
export { runTasker } from '../run/index.js';
