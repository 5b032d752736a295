export { startAgentServer, type AgentServer, type AgentServerOptions, type AgentTls } from './server/agent-server.js';
export { ConcurrencyLimiter } from './server/limiter.js';
export { initCa, issueCert, type IssueOptions } from './certs/certs.js';
export { run } from './cli/run.js';
