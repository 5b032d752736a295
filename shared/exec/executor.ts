import type { ProcessResult } from './types.js';

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
}

/**
 * Runs tasks somewhere: locally (the shared process runner), on a tasker-agent over gRPC, or over SSH.
 * `execute` never throws for a failed, missing or unreachable command: it returns a ProcessResult whose
 * exitCode/stderr say what happened (an agent lost mid-task: exit 255 and a clear stderr note).
 */
export interface TaskExecutor {
  readonly name: string;
  execute(request: ExecRequest): Promise<ProcessResult>;
  close(): Promise<void>;
}
