export { sshTargetFor, matchesHostPatterns, type SshHostRule, type SshSettings, type SshExecutorOptions } from './ssh-target.js';
export { parseSshConfig } from './ssh-config.js';
export { SshPool } from './ssh-pool.js';
export { shellQuote, wrapRemoteCommand, killGroupCommand, killGroupNowCommand, PGID_MARKER } from './remote-command.js';
