export interface ResolveAgentInput {
  /** The task's `agent=` key. */
  taskAgent?: string;
  /** `--agent NAME|HOST:PORT`. */
  cliAgent?: string;
  env: NodeJS.ProcessEnv;
  /** Parsed config (only `defaultAgent` is read); may be omitted when there is no config. */
  config?: { defaultAgent?: string };
}

/**
 * Which agent a task runs on: task `agent=` > `--agent` > `TASK_EXECUTOR_AGENT` > config
 * `default_agent` > none (undefined = run locally). `agent=local` / `none` at any level forces
 * local execution (e.g. one task of a file that otherwise goes to an agent).
 */
export function resolveAgentName(input: ResolveAgentInput): string | undefined {
  const candidates = [input.taskAgent, input.cliAgent, input.env.TASK_EXECUTOR_AGENT, input.config?.defaultAgent];
  for (const c of candidates) {
    const v = c?.trim();
    if (!v) continue;
    if (v === 'local' || v === 'none') return undefined;
    return v;
  }
  return undefined;
}
