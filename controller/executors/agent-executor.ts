/** @entry-point: loaded on demand through run-executors.ts (gRPC / ssh2), so not in this folder's index. */
import type { ExecRequest } from '../../shared/exec/index.js';
import { cancelExitCode } from '../../shared/exec/index.js';
import { ConnectError } from '../../shared/errors/index.js';
import type { ProcessResult } from '../../shared/exec/index.js';
import type { ExecuteEvent__Output } from '../../shared/proto/generated/tasker/agent/v1/ExecuteEvent.js';
import type { InfoResponse__Output } from '../../shared/proto/generated/tasker/agent/v1/InfoResponse.js';
import { describeAgent, openAgentConnection, type AgentConnection } from '../agents/index.js';
import { GrpcCallError, type StreamingCall } from '../agents/index.js';
import type { AgentSpec } from '../agents/index.js';
import { AgentSession } from '../agents/index.js';
import { AGENT_LOST_EXIT_CODE, consumeExecute } from './agent-call-result.js';
import { ExecuteSentAhead } from './agent-start-ahead.js';
import type { StartAhead, StartAheadExecutor, StartAheadRequest, StartAheadResult } from '../../core/executors/index.js';
import { TaskExit } from '../../shared/exit-codes.js';

export { AGENT_LOST_EXIT_CODE } from './agent-call-result.js';

/** Extra time the controller allows past the task timeout (kill grace + stream drain) before giving up. */
const DEADLINE_MARGIN_MS = 15_000;
const DEFAULT_CAPTURE_LIMIT = 1024 * 1024;
/** Deadline of unary calls (health, info, host checks without connectivity). */
export const UNARY_DEADLINE_MS = 5_000;

export interface AgentExecutorOptions {
  env?: NodeJS.ProcessEnv;
  /** Time past a task's timeout before the controller gives up on its call (default 15 s). */
  deadlineMarginMs?: number;
  /** Directory for spill files of large outputs (default os.tmpdir(), looked up only when a stream spills). */
  spillDir?: string;
  /**
   * Send tasks as messages on one Session stream when the agent offers it (default true); false:
   * one Execute call per task, as with an agent that does not list the `session` feature.
   */
  session?: boolean;
  /** The run's secret values: sent with every task so the agent keeps them out of its log. */
  secrets?: readonly string[];
}

export interface HostCheckResult {
  hostname: string;
  execType: string;
  ok: boolean;
  problems: string[];
}

/** A TaskExecutor bound to one agent, plus the checks a run does before it starts. */
export interface AgentExecutor extends StartAheadExecutor {
  readonly spec: AgentSpec;
  /** Health SERVING + Info; throws an Error whose message names the agent. */
  probe(): Promise<InfoResponse__Output>;
  /** DNS/ping (and with `checkConnectivity` the exec type's test) run on the agent's host. */
  checkHosts(hosts: { hostname: string; execType: string }[], checkConnectivity: boolean): Promise<HostCheckResult[]>;
}

/** Create the executor for one agent. The connection opens on first use and reopens after a lost SSH link. */
export function createAgentExecutor(spec: AgentSpec, options: AgentExecutorOptions = {}): AgentExecutor {
  return new GrpcAgentExecutor(spec, options);
}

class GrpcAgentExecutor implements AgentExecutor {
  readonly name: string;
  /** Whether the agent said (Info, at probe) that it understands Executes sent ahead (`after_call`). */
  private startsAhead = false;
  /** Whether the agent said (Info, at probe) that it has the Session method, and we use it. */
  private useSession = false;
  /** The Session of each connection (a reopened connection gets a new one). */
  private readonly sessions = new WeakMap<AgentConnection, AgentSession>();
  private conn: Promise<AgentConnection> | undefined;
  private closed = false;
  /** Execute calls made: their ids (`call_id`) within a run. */
  private calls = 0;
  /** Start ahead: two tasks, once probe() found an agent that understands them (see probe). */
  readonly startAhead: StartAhead & { depth: number } = { depth: 0, execute: (req, ahead) => this.run(req, ahead) };

  constructor(
    readonly spec: AgentSpec,
    private readonly options: AgentExecutorOptions,
  ) {
    this.name = `agent:${spec.name}`;
  }

  private connection(): Promise<AgentConnection> {
    if (this.closed) return Promise.reject(new Error(`agent ${describeAgent(this.spec)}: executor is closed`));
    const current = this.conn;
    if (current) {
      return current.then((c) => {
        if (!c.broken) return c;
        void c.close();
        if (this.conn === current) this.conn = undefined;
        return this.connection();
      });
    }
    const opening = openAgentConnection(this.spec, this.options.env);
    this.conn = opening;
    opening.catch(() => {
      if (this.conn === opening) this.conn = undefined; // retry on the next call
    });
    return opening;
  }

  async probe(): Promise<InfoResponse__Output> {
    const who = describeAgent(this.spec);
    const c = await this.connection();
    const deadline = () => Date.now() + UNARY_DEADLINE_MS;
    let health: string;
    try {
      health = (await c.client.unary(c.methods.health, { service: '' }, deadline())).status;
    } catch (err) {
      throw new ConnectError(`agent ${who}: not reachable: ${grpcMessage(err)}`, { target: this.spec.name, cause: err });
    }
    if (health !== 'SERVING') throw new ConnectError(`agent ${who}: health is ${health}, not SERVING`, { target: this.spec.name });
    let info: InfoResponse__Output;
    try {
      info = await c.client.unary(c.methods.info, {}, deadline());
    } catch (err) {
      throw new ConnectError(`agent ${who}: Info failed: ${grpcMessage(err)}`, { target: this.spec.name, cause: err });
    }
    // Tasks ahead only for an agent that understands them (an older one would ignore `after_call`
    // and start them at once): the agent then starts tasks back to back while we record the one before.
    this.startsAhead = info.features.includes('after_call');
    this.startAhead.depth = this.startsAhead ? 2 : 0;
    this.useSession = info.features.includes('session') && this.options.session !== false;
    return info;
  }

  async checkHosts(hosts: { hostname: string; execType: string }[], checkConnectivity: boolean): Promise<HostCheckResult[]> {
    const who = describeAgent(this.spec);
    const c = await this.connection();
    // Connectivity tests run the exec type's test (up to its own timeout) on every host in parallel.
    const deadline = Date.now() + (checkConnectivity ? 60_000 : 20_000);
    let res;
    try {
      res = await c.client.unary(
        c.methods.checkHosts,
        { hosts: hosts.map((h) => ({ hostname: h.hostname, exec_type: h.execType })), check_connectivity: checkConnectivity },
        deadline,
      );
    } catch (err) {
      throw new ConnectError(`agent ${who}: host check failed: ${grpcMessage(err)}`, { target: this.spec.name, cause: err });
    }
    return res.results.map((r) => ({ hostname: r.hostname, execType: r.exec_type, ok: r.ok, problems: r.problems }));
  }

  async execute(req: ExecRequest): Promise<ProcessResult> {
    return (await this.run(req, undefined)).result;
  }

  private async run(req: ExecRequest, ahead: StartAheadRequest | undefined): Promise<StartAheadResult> {
    const started = performance.now();
    const who = describeAgent(this.spec);
    const argv = [`agent:${this.spec.name}`, req.execType, req.command, req.arguments];
    const base = (): ProcessResult => ({
      argv, exitCode: TaskExit.SUCCESS, signal: null, stdout: '', stderr: '', stdoutBytes: 0, stderrBytes: 0,
      timedOut: false, canceled: false, durationMs: 0, truncated: false,
    });
    // Sent ahead with the previous task: take that call over when the agent started it (also when
    // this run is being stopped: consume cancels it at once and the result says so).
    const taken = ahead?.taken instanceof ExecuteSentAhead && ahead.taken.owner === this ? ahead.taken : undefined;
    let conn: AgentConnection;
    let call: StreamingCall<ExecuteEvent__Output>;
    let current: { callId: string; deadline: number; captureLimit: number };
    if (taken && (await taken.started)) {
      conn = taken.conn;
      call = taken.take();
      current = taken;
    } else {
      if (req.signal?.aborted) return { result: { ...base(), canceled: true, exitCode: cancelExitCode(req.signal.reason) }, started: [] };
      try {
        conn = await this.connection();
      } catch (err) {
        const text = `tasker: agent ${who} not reachable: ${(err as Error).message}`;
        return { result: { ...base(), exitCode: AGENT_LOST_EXIT_CODE, stderr: text, spawnError: text, unreachable: true, durationMs: performance.now() - started }, started: [] };
      }
      current = { callId: this.nextCallId(), deadline: this.deadlineAfter(Date.now(), req.timeoutMs), captureLimit: req.captureLimit ?? DEFAULT_CAPTURE_LIMIT };
      call = this.openExecute(conn, req, { ...current, afterCall: '' });
    }
    // The next tasks go out right behind this one: the agent starts each the moment the one
    // before exits with status 0 on its own, with no round trip through us.
    const next = ahead ? this.sendAhead(conn, current, req, ahead) : [];
    const result = await consumeExecute(call, current.captureLimit, req, who, argv, base, started, this.options.spillDir, this.marginMs);
    return { result, started: next };
  }

  /**
   * Sends `ahead.next` as Executes sent ahead (`after_call`), each after the one before: the first after
   * `ahead.after` when that is ours, else after `current` (the task being run). A call sent ahead
   * may wait for all before it, so its deadline is theirs plus its own timeout.
   */
  private sendAhead(conn: AgentConnection, current: { callId: string; deadline: number }, req: ExecRequest, ahead: StartAheadRequest): ExecuteSentAhead[] {
    const sent: ExecuteSentAhead[] = [];
    if (!this.startsAhead) return sent;
    const after = ahead.after;
    if (after && !(after instanceof ExecuteSentAhead && after.owner === this && after.conn === conn)) return sent;
    let before = after ?? current;
    const captureLimit = req.captureLimit ?? DEFAULT_CAPTURE_LIMIT;
    for (const task of ahead.next) {
      const ids = { callId: this.nextCallId(), afterCall: before.callId, captureLimit, deadline: this.deadlineAfter(before.deadline - this.marginMs, task.timeoutMs) };
      const call = this.openExecute(conn, { ...task, runId: req.runId }, ids);
      const sentAhead = new ExecuteSentAhead(this, conn, ids.callId, ids.deadline, captureLimit, call);
      sent.push(sentAhead);
      before = sentAhead;
    }
    return sent;
  }

  /** Starts one call: a message on the connection's session, or an Execute call of its own. */
  private openExecute(
    conn: AgentConnection,
    req: Pick<ExecRequest, 'runId' | 'taskId' | 'execType' | 'hostname' | 'command' | 'arguments' | 'timeoutMs'>,
    ids: { callId: string; afterCall: string; captureLimit: number; deadline: number },
  ): StreamingCall<ExecuteEvent__Output> {
    const request = {
      run_id: req.runId,
      task_id: req.taskId,
      exec_type: req.execType,
      hostname: req.hostname,
      command: req.command,
      arguments: req.arguments,
      timeout_ms: Math.max(0, Math.round(req.timeoutMs)),
      output_cap: ids.captureLimit,
      call_id: ids.callId,
      after_call: ids.afterCall,
      secret_values: this.options.secrets?.length ? [...this.options.secrets] : undefined,
    };
    if (!this.useSession) return conn.client.serverStream(conn.methods.execute, request, ids.deadline);
    let session = this.sessions.get(conn);
    if (!session) {
      session = new AgentSession(conn.client, conn.methods.session);
      this.sessions.set(conn, session);
    }
    return session.execute(request, ids.deadline);
  }

  /** When to give up on a call whose task may start at `startMs` and runs at most `timeoutMs` (0: no limit). */
  private deadlineAfter(startMs: number, timeoutMs: number): number {
    return startMs + (timeoutMs > 0 ? timeoutMs : 24 * 3600_000) + this.marginMs;
  }

  private get marginMs(): number {
    return this.options.deadlineMarginMs ?? DEADLINE_MARGIN_MS;
  }

  private nextCallId(): string {
    return `c${++this.calls}`;
  }

  async close(): Promise<void> {
    this.closed = true;
    const c = this.conn;
    this.conn = undefined;
    if (c) {
      await c
        .then((x) => {
          this.sessions.get(x)?.close();
          return x.close();
        })
        .catch(() => undefined);
    }
  }
}

function grpcMessage(err: unknown): string {
  return err instanceof GrpcCallError ? err.details : (err as Error).message;
}
