export { startNatsWorker, type NatsWorker, type NatsWorkerOptions, type WorkerLogger } from './worker.js';
export { startNatsServe, readNatsSection, natsRequested, type NatsServeFlags } from './serve.js';
export { runJob, buildArgv, TASK_PLACEHOLDER, type RunJobContext } from './run-job.js';
