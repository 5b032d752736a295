/** parallelr's exit codes live with the others in shared/exit-codes.ts. */
export { ParallelrExit } from '../../shared/exit-codes.js';
