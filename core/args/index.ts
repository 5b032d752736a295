/**
 * `tasker`'s command line: its options, usage and help, parsed by hand for exact usage errors. Its
 * own module so a caller that only reads a tasker command (parallelr placing a template's
 * `--output-json` or `--recovery-file`) does not load the run pipeline.
 */
export { defaultArgs, HELP, parseTaskerArgs, USAGE, type TaskerArgs } from './tasker-args.js';
export { recoveryFileProblem } from './recovery-file.js';
