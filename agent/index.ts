export { startAgentServer, AgentConfigError, type AgentServer, type AgentServerOptions, type AgentTls } from './server/agent-server.js';
export { ConcurrencyLimiter, AgentBusyError } from './server/limiter.js';
export { initCa, issueCert, CertError, type IssueOptions } from './certs/certs.js';
export { run } from './cli/run.js';
