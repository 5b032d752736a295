export {
  readBoundedFile,
  readBoundedBytes,
  decodeInput,
  formatBytes,
  DEFAULT_INPUT_LIMITS,
  MiB,
  type InputLimits,
  type InputProblem,
  type InputProblemKind,
  type BoundedRead,
  type BoundedBytes,
} from './read-bounded-file.js';
export { exitCodeOfProblem, diagnosticOfProblem, parseByteSize } from './input-problem.js';
export { findInvalidUtf8, positionOfByte } from './utf8-position.js';
