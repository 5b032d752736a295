/**
 * Running tasks on this machine, for every run wherever it is started: the local executor
 * (local-executor.ts, behind TaskExecutor of shared/exec/executor.ts), starting a task's successor
 * ahead (start-ahead.ts), and the rule that names a task's agent (resolve-agent.ts,
 * inherit-agents.ts). Executors for agents and SSH are the controller's (controller/executors),
 * handed to a run through core/run's RemotePlacement.
 */
export { createLocalExecutor, type LocalExecutorOptions } from './local-executor.js';
export { startAheadOf, type AheadTask, type StartedAhead, type StartAhead, type StartAheadExecutor, type StartAheadRequest, type StartAheadResult } from './start-ahead.js';
export { resolveAgentName, type ResolveAgentInput } from './resolve-agent.js';
export { inheritAgents } from './inherit-agents.js';
