/**
 * Where tasks run off this machine, behind one interface (TaskExecutor, shared/exec/executor.ts):
 * a tasker-agent over gRPC (agent-executor.ts) and SSH (ssh-executor.ts); run-executors.ts picks
 * one per task (this machine: core/executors), and remote-placement.ts hands that choice to the run
 * pipeline (core/run). The agent and ssh executors pull in gRPC and ssh2, so they are loaded on
 * demand (through controller/agents and controller/ssh), never from this index.
 */
export { createRunExecutors, type ExecutorSetup, type RunExecutors } from './run-executors.js';
export { remotePlacement } from './remote-placement.js';
