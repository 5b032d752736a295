/**
 * The seam between the run pipeline and the executors for agents and SSH, which are the
 * controller's (controller/executors/remote-placement.ts): a run places tasks off this machine only
 * through the RemotePlacement it is given. Without one (a task file run in-process on an agent),
 * every task runs on this machine and a task that needs an agent or SSH fails preflight (exit 20).
 */
import type { ConfigPath } from '../../shared/config/index.js';
import type { TaskExecutor } from '../../shared/exec/index.js';
import type { Diagnostic } from '../../shared/taskfile/diagnostics.js';
import type { Task } from '../../shared/taskfile/model.js';
import type { RanOn } from '../engine/host-recap.js';
import type { ExecutorSetup } from './executor-setup.js';

/** Where a run sends each task, and the executors that run them. */
export interface RunExecutors {
  /** Agent name per task id (absent = local), decided before the run for the pre-run checks. */
  agentOf: Map<number, string>;
  executorFor: (task: Task, execType: string) => TaskExecutor;
  /** Where executorFor sends a task: `local`, `ssh` or `agent:NAME`. */
  placeOf: (task: Task, execType: string) => RanOn;
  /** Agent executors by name (for pre-run checks and host checks). */
  agents: Map<string, PlacedAgent>;
  close: () => Promise<void>;
}

/** What the pre-run checks ask of an agent a run sends tasks to. */
export interface PlacedAgent {
  /** How the agent is reached, for the log ("Agent web1: ready (…)"). */
  readonly name: string;
  /** Whether the agent can resolve (and, with checkConnectivity, reach) these hosts. */
  checkHosts(hosts: { hostname: string; execType: string }[], checkConnectivity: boolean): Promise<{ hostname: string; ok: boolean; problems: string[] }[]>;
}

/** One reason an agent cannot be used for this run (→ exit 21 naming the agent). */
export interface AgentProblem {
  agent: string;
  message: string;
}

/** The run's tasks placed: the executors, the placement's problems (unknown agent names), and the agents' health check. */
export interface PlacedTasks {
  executors: RunExecutors;
  problems: string[];
  /** Every agent the placement created: reachable, healthy, of a compatible version; one problem per agent that is not. */
  checkAgents: () => Promise<AgentProblem[]>;
}

type PositionOf = (path: ConfigPath, which?: 'value' | 'key') => { line: number; col: number } | undefined;

/** Placing tasks on agents and SSH hosts, given to a run by the controller (runTaskerWith's `remote`). */
export interface RemotePlacement {
  /** Decide where each task runs (this machine, an agent, SSH) and create the executors. */
  placeTasks: (setup: ExecutorSetup, tasks: Task[]) => Promise<PlacedTasks>;
  /** The problems of the config's sections for agents and SSH (`agents`, `agent_tls`, `default_agent`, `ssh`). */
  configDiagnostics: (data: Record<string, unknown>, configPath: string | undefined, positionOf?: PositionOf) => Promise<Diagnostic[]>;
}

/** How a run is carried out beyond its argv and io. */
export interface RunOptions {
  /** Absent: tasks run on this machine only (remote-needs.ts says which tasks cannot). */
  remote?: RemotePlacement;
  /**
   * Without `remote`: a run that needs agents or SSH calls this with the tasks that do and ends
   * before it writes or runs anything (no log, no records), instead of failing validation. The
   * caller can then start the tasker bin for the file (agent/nats/run-tasker-job.ts): one read of
   * the file decides both, where `needsRemotePlacement` would read it a second time.
   */
  onRemoteNeeds?: (needs: { taskId: number; agent?: string }[]) => void;
  /**
   * Hands the caller what the record stage made, once per recorded run, so a caller that ships
   * the records (agent/nats/ship-records.ts) needs no look through the logs directory and no
   * `--output-json` file: returning true takes the document in place of the file, none is written
   * (the log line names it as for a run that wrote it, so the log reads as a local run's). Not
   * called when the run ends before its record stage (bad arguments, an unreadable file, handed back).
   */
  onRecords?: (made: MadeRecords) => boolean | void;
  /**
   * With `--auto-recovery`: called with the run's recovery file before the run first looks at it,
   * so a caller whose state travels with the task file puts it there (agent/nats/recovery-travel.ts);
   * the record stage names the file again in MadeRecords.recoveryFile.
   */
  onRecoveryFile?: (path: string) => void;
}

/** What a run's record stage made (RunOptions.onRecords). */
export interface MadeRecords {
  /** The run's log file: complete once runTaskerWith resolves. Absent when the run has none. */
  logFile?: string;
  /** The `-p` summary row appended (one per run, none without `-p`): the summary file, its header line and the row. */
  summaryRows: { path: string; header: string; row: string }[];
  /** The `--output-json` document of the run, byte for byte as tasker writes it; built on the first call. */
  resultJson: () => string;
  /** With `--auto-recovery`: the run's recovery file — there when the run kept its state for a resume, gone when it dropped it. */
  recoveryFile?: string;
}
