/**
 * Where tasks run, behind one interface (TaskExecutor, shared/exec/executor.ts): this machine
 * (local-executor.ts), a tasker-agent over gRPC (agent-executor.ts) and SSH (ssh-executor.ts);
 * run-executors.ts picks one per task. The agent and ssh executors pull in gRPC and ssh2, so they
 * are loaded on demand (through controller/agents and controller/ssh), never from this index.
 */
export { createLocalExecutor, type LocalExecutorOptions } from './local-executor.js';
export { createRunExecutors, type ExecutorSetup, type RunExecutors } from './run-executors.js';
export { startAheadOf, type AheadTask, type StartedAhead, type StartAhead, type StartAheadExecutor } from './start-ahead.js';
