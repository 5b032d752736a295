import type { ProcessResult, StartedAhead } from './types.js';

/** One task execution as the engine asks for it; an executor decides where it runs. */
export interface ExecRequest {
  runId: string;
  /** "3", "3.2" (loop iteration), "4-401" (block sub-task). */
  taskId: string;
  execType: string;
  hostname: string;
  command: string;
  /** Arguments text after variable substitution, before word splitting. */
  arguments: string;
  timeoutMs: number;
  /** Bytes kept in memory per stream before spilling (default 1 MiB). */
  captureLimit?: number;
  onStdout?: (chunk: Buffer) => void;
  onStderr?: (chunk: Buffer) => void;
  signal?: AbortSignal;
  /**
   * The next tasks, each to start the moment the one before it exits with status 0 on its own
   * (see the engine's chainTarget); the first after `after`, or after this task. At most
   * `pipelineDepth` are asked for; an executor may take fewer. The result's `ahead` holds the
   * handles of those it took, in order.
   */
  then?: Pick<ExecRequest, 'taskId' | 'execType' | 'hostname' | 'command' | 'arguments' | 'timeoutMs'>[];
  /** The last task already started ahead (by this executor): `then` continues after it. */
  after?: StartedAhead;
  /** This task was started ahead as an earlier task's `then` (by this executor): supervise that run when it started. */
  prestarted?: StartedAhead;
}

/**
 * Runs tasks somewhere: locally (the shared process runner), on a tasker-agent over gRPC, or over SSH.
 * `execute` never throws for a failed, missing or unreachable command: it returns a ProcessResult whose
 * exitCode/stderr say what happened (an agent lost mid-task: exit 255 and a clear stderr note).
 */
export interface TaskExecutor {
  readonly name: string;
  /** How many tasks it can have started ahead of the running one (ExecRequest.then); none when absent. */
  readonly pipelineDepth?: number;
  execute(request: ExecRequest): Promise<ProcessResult>;
  close(): Promise<void>;
}
