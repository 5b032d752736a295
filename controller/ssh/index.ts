export { createSshExecutor, SSH_FAILURE_EXIT_CODE, type SshExecutorOptions } from '../executors/ssh-executor.js';
export { sshTargetFor, matchesHostPatterns, type SshHostRule, type SshSettings } from './ssh-target.js';
export { parseSshConfig } from './ssh-config.js';
export { SshPool } from './ssh-pool.js';
export { shellQuote, wrapRemoteCommand, killGroupCommand } from './remote-command.js';
