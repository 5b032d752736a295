import { EventEmitter } from 'node:events';
import { StreamCapture, applyCaptures } from '../../shared/exec/index.js';
import { FedOutput } from '../../shared/exec/index.js';
import type { ExecRequest, TaskExecutor } from '../../shared/exec/index.js';
import { cancelExitCode } from '../../shared/exec/index.js';
import type { ProcessResult, StartedAhead } from '../../shared/exec/index.js';
import type { ExecuteEvent__Output } from '../../shared/proto/generated/tasker/agent/v1/ExecuteEvent.js';
import type { Finished__Output } from '../../shared/proto/generated/tasker/agent/v1/Finished.js';
import type { InfoResponse__Output } from '../../shared/proto/generated/tasker/agent/v1/InfoResponse.js';
import { describeAgent, openAgentConnection, type AgentConnection } from './agent-connection.js';
import { GrpcCallError, Status, statusName, type StreamingCall } from './grpc-client.js';
import type { AgentSpec } from './agent-spec.js';
import { AgentSession } from './agent-session.js';

/** Exit code of a task whose agent could not be reached, refused it, or was lost mid-task. */
export const AGENT_LOST_EXIT_CODE = 255;
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
export interface AgentExecutor extends TaskExecutor {
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
  /** Whether the agent said (Info, at probe) that it understands pipelined Executes. */
  private pipelining = false;
  /** Whether the agent said (Info, at probe) that it has the Session method, and we use it. */
  private useSession = false;
  /** The Session of each connection (a reopened connection gets a new one). */
  private readonly sessions = new WeakMap<AgentConnection, AgentSession>();
  private conn: Promise<AgentConnection> | undefined;
  private closed = false;
  /** Execute calls made: their ids (`call_id`) within a run. */
  private calls = 0;

  constructor(
    readonly spec: AgentSpec,
    private readonly options: AgentExecutorOptions,
  ) {
    this.name = `agent:${spec.name}`;
  }

  /**
   * Two tasks ahead, once probe() found an agent that understands them (an older one would ignore
   * `after_call` and start them at once): the agent then starts tasks back to back while we
   * record the one before.
   */
  get pipelineDepth(): number {
    return this.pipelining ? 2 : 0;
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
      throw new Error(`agent ${who}: not reachable: ${grpcMessage(err)}`);
    }
    if (health !== 'SERVING') throw new Error(`agent ${who}: health is ${health}, not SERVING`);
    let info: InfoResponse__Output;
    try {
      info = await c.client.unary(c.methods.info, {}, deadline());
    } catch (err) {
      throw new Error(`agent ${who}: Info failed: ${grpcMessage(err)}`);
    }
    this.pipelining = info.features.includes('after_call');
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
      throw new Error(`agent ${who}: host check failed: ${grpcMessage(err)}`);
    }
    return res.results.map((r) => ({ hostname: r.hostname, execType: r.exec_type, ok: r.ok, problems: r.problems }));
  }

  async execute(req: ExecRequest): Promise<ProcessResult> {
    const started = performance.now();
    const who = describeAgent(this.spec);
    const argv = [`agent:${this.spec.name}`, req.execType, req.command, req.arguments];
    const base = (): ProcessResult => ({
      argv, exitCode: 0, signal: null, stdout: '', stderr: '', stdoutBytes: 0, stderrBytes: 0,
      timedOut: false, canceled: false, durationMs: 0, truncated: false,
    });
    // Sent ahead with the previous task: take that call over when the agent started it (also when
    // this run is being stopped: consume cancels it at once and the result says so).
    const ahead = req.prestarted instanceof PipelinedExecute && req.prestarted.owner === this ? req.prestarted : undefined;
    let conn: AgentConnection;
    let call: StreamingCall<ExecuteEvent__Output>;
    let current: { callId: string; deadline: number; captureLimit: number };
    if (ahead && (await ahead.started)) {
      conn = ahead.conn;
      call = ahead.take();
      current = ahead;
    } else {
      if (req.signal?.aborted) return { ...base(), canceled: true, exitCode: cancelExitCode(req.signal.reason) };
      try {
        conn = await this.connection();
      } catch (err) {
        const text = `tasker: agent ${who} not reachable: ${(err as Error).message}`;
        return { ...base(), exitCode: AGENT_LOST_EXIT_CODE, stderr: text, spawnError: text, unreachable: true, durationMs: performance.now() - started };
      }
      current = { callId: this.nextCallId(), deadline: this.deadlineAfter(Date.now(), req.timeoutMs), captureLimit: req.captureLimit ?? DEFAULT_CAPTURE_LIMIT };
      call = this.openExecute(conn, req, { ...current, afterCall: '' });
    }
    // The next tasks go out right behind this one: the agent starts each the moment the one
    // before exits with status 0 on its own, with no round trip through us.
    const next = this.sendAhead(conn, current, req);
    const r = await consume(call, current.captureLimit, req, who, argv, base, started, this.options.spillDir, this.marginMs);
    if (next.length > 0) r.ahead = next;
    return r;
  }

  /**
   * Sends `req.then` as pipelined Executes, each after the one before: the first after
   * `req.after` when that is ours, else after `current` (the task being run). A call sent ahead
   * may wait for all before it, so its deadline is theirs plus its own timeout.
   */
  private sendAhead(conn: AgentConnection, current: { callId: string; deadline: number }, req: ExecRequest): PipelinedExecute[] {
    const sent: PipelinedExecute[] = [];
    if (!this.pipelining) return sent;
    if (req.after && !(req.after instanceof PipelinedExecute && req.after.owner === this && req.after.conn === conn)) return sent;
    let before = req.after ?? current;
    const captureLimit = req.captureLimit ?? DEFAULT_CAPTURE_LIMIT;
    for (const then of req.then ?? []) {
      const ids = { callId: this.nextCallId(), afterCall: before.callId, captureLimit, deadline: this.deadlineAfter(before.deadline - this.marginMs, then.timeoutMs) };
      const call = this.openExecute(conn, { ...then, runId: req.runId }, ids);
      const ahead = new PipelinedExecute(this, conn, ids.callId, ids.deadline, captureLimit, call);
      sent.push(ahead);
      before = ahead;
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

/**
 * The next task, sent to the agent while the current one runs (ExecuteRequest.after_call). Its
 * events wait here until the engine takes it for the task's turn; `started` says whether the
 * agent started it. Only an explicit `not_started` answer counts as not started: a call that
 * fails otherwise (the agent lost, a refusal) may have run, so it is taken and its failure is the
 * task's result, never a second run.
 */
class PipelinedExecute implements StartedAhead {
  readonly started: Promise<boolean>;
  private readonly held: HeldCall<ExecuteEvent__Output>;
  /** An event of a started program arrived (started, output, finished). */
  private sawStart = false;

  constructor(
    readonly owner: GrpcAgentExecutor,
    readonly conn: AgentConnection,
    readonly callId: string,
    /** Its call's deadline (ms since the epoch). */
    readonly deadline: number,
    readonly captureLimit: number,
    call: StreamingCall<ExecuteEvent__Output>,
  ) {
    let decide!: (started: boolean) => void;
    this.started = new Promise((resolve) => (decide = resolve));
    this.held = new HeldCall(call, (event, arg) => {
      const notStarted = event === 'data' && (arg as ExecuteEvent__Output).finished?.not_started === true;
      if (event === 'data' && !notStarted) this.sawStart = true;
      decide(!notStarted); // the first event decides
    });
  }

  /** The call, its held events replayed to the listeners attached now and then live. */
  take(): StreamingCall<ExecuteEvent__Output> {
    return this.held;
  }

  async discard(): Promise<boolean> {
    this.held.cancel(); // the agent kills it if it started, or does not start it
    return this.sawStart;
  }
}

/**
 * Holds a call's events (queued, and the call paused past 1 MiB of them) until release();
 * `watch` sees each event as it arrives.
 */
class HeldCall<Res extends ExecuteEvent__Output> extends EventEmitter implements StreamingCall<Res> {
  private queue: [string, unknown][] | undefined = [];
  private queuedBytes = 0;
  private pausedHere = false;

  constructor(
    private readonly inner: StreamingCall<Res>,
    watch: (event: string, arg: unknown) => void,
  ) {
    super();
    const on = (event: string) => (arg?: unknown) => {
      watch(event, arg);
      if (!this.queue) return void this.emit(event, arg);
      this.queue.push([event, arg]);
      if (event !== 'data') return;
      const ev = arg as Res;
      this.queuedBytes += ev.stdout?.length ?? ev.stderr?.length ?? 0;
      if (this.queuedBytes > 1024 * 1024 && !this.pausedHere) {
        this.pausedHere = true;
        inner.pause();
      }
    };
    inner.on('data', on('data'));
    inner.on('error', on('error'));
    inner.on('end', on('end'));
  }

  /** Replays the held events to the listeners attached by now; from here on events pass live. */
  release(): void {
    const queue = this.queue;
    if (!queue) return;
    this.queue = undefined;
    if (this.pausedHere) {
      this.pausedHere = false;
      this.inner.resume();
    }
    for (const [event, arg] of queue) this.emit(event, arg);
  }

  pause(): void {
    this.inner.pause();
  }

  resume(): void {
    this.inner.resume();
  }

  cancel(): void {
    this.inner.cancel();
  }
}

/** One Execute call: live chunks to the request's callbacks and into bounded captures. */
function consume(
  call: StreamingCall<ExecuteEvent__Output>,
  captureLimit: number,
  req: ExecRequest,
  who: string,
  argv: string[],
  base: () => ProcessResult,
  started: number,
  spillDir: string | undefined,
  marginMs: number,
): Promise<ProcessResult> {
  const common = { captureLimit, previewLimit: Math.min(100 * 1024, captureLimit), spillDir, pid: process.pid };
  // The chunks of each stream go through a fed output (as the launcher's are) into a bounded
  // capture. Backpressure: while a capture is held (spill file behind, slow live consumer), its
  // output asks to stop ('P') and the call stops reading (HTTP/2 flow control holds the agent
  // back) until every held stream has let go ('R').
  const held = new Set<FedOutput>();
  const flow = (src: FedOutput, op: 'P' | 'R' | 'C'): void => {
    if (op === 'P') {
      held.add(src);
      call.pause();
    } else if (op === 'R' && held.delete(src) && held.size === 0) {
      call.resume();
    }
  };
  const outSrc: FedOutput = new FedOutput((op) => flow(outSrc, op));
  const errSrc: FedOutput = new FedOutput((op) => flow(errSrc, op));
  const out = new StreamCapture(outSrc, { ...common, kind: 'stdout', onChunk: req.onStdout });
  const err = new StreamCapture(errSrc, { ...common, kind: 'stderr', onChunk: req.onStderr });

  return new Promise<ProcessResult>((resolve) => {
    let pid: number | undefined;
    let finished: Finished__Output | undefined;
    let settled = false;
    let canceledBy: unknown;
    let stderrSeen = 0;
    let failure: string | undefined;
    /** The call failed before the agent started anything: the agent could not be reached. */
    let unreachable = false;
    const onAbort = () => {
      canceledBy = req.signal!.reason;
      call.cancel(); // the agent kills the process group
    };
    req.signal?.addEventListener('abort', onAbort, { once: true });

    const settle = async () => {
      if (settled) return;
      settled = true;
      req.signal?.removeEventListener('abort', onAbort);
      outSrc.end();
      errSrc.end();
      const r = base();
      if (pid !== undefined) r.pid = pid;
      if (finished) {
        r.exitCode = finished.exit_code;
        r.signal = (finished.signal || null) as NodeJS.Signals | null;
        r.timedOut = finished.timed_out;
        r.canceled = finished.canceled;
        if (finished.stderr_note) err.append(Buffer.from(finished.stderr_note));
        if (finished.error) r.spawnError = finished.error;
      } else if (canceledBy !== undefined) {
        r.canceled = true;
        r.exitCode = cancelExitCode(canceledBy);
      } else {
        r.exitCode = AGENT_LOST_EXIT_CODE;
        const why = `tasker: ${failure ?? `agent ${who} ended the task without a result`}`;
        err.append(Buffer.from(stderrSeen > 0 ? `\n${why}` : why));
        r.spawnError = why;
        if (unreachable) r.unreachable = true;
      }
      await Promise.all([out.done, err.done]);
      const [o, e] = await Promise.all([out.result(), err.result()]);
      applyCaptures(r, o, e);
      r.durationMs = performance.now() - started;
      resolve(r);
    };

    call.on('data', (ev: ExecuteEvent__Output) => {
      if (settled) return; // nothing follows `finished` from a well-behaved agent
      switch (ev.event) {
        case 'started':
          pid = ev.started!.pid;
          break;
        case 'stdout':
          outSrc.feed(ev.stdout!);
          break;
        case 'stderr':
          stderrSeen += ev.stderr!.length;
          errSrc.feed(ev.stderr!);
          break;
        case 'finished':
          // The last message: the result is complete. Settle now rather than after the trailers
          // (Node's HTTP/2 server sends them in a later write), so the next task need not wait
          // for that packet. A status that follows cannot change the result (see settle).
          finished = ev.finished!;
          void settle();
          break;
      }
    });
    call.on('error', (e: GrpcCallError) => {
      if (canceledBy !== undefined && e.code === Status.CANCELLED) return void settle();
      const detail = e.details;
      const code = statusName(e.code);
      let why: string;
      const refusals: number[] = [Status.INVALID_ARGUMENT, Status.PERMISSION_DENIED, Status.RESOURCE_EXHAUSTED, Status.UNAUTHENTICATED, Status.FAILED_PRECONDITION];
      if (refusals.includes(e.code)) {
        why = `agent ${who} refused the task (${code}): ${detail}`;
      } else if (e.code === Status.DEADLINE_EXCEEDED) {
        why = `agent ${who} did not finish the task within its timeout plus ${marginMs / 1000} s; giving up (the agent kills it)`;
      } else if (pid !== undefined) {
        why = `agent ${who} lost during the task (remote pid ${pid}): ${code}: ${detail}`;
      } else {
        why = `agent ${who} not reachable: ${code}: ${detail}`;
        unreachable = true;
      }
      failure = why;
      void settle(); // chunks already delivered are in the captures; no 'end' follows an error
    });
    call.on('end', () => void settle());
    if (call instanceof HeldCall) call.release();
    if (req.signal?.aborted) onAbort(); // a call sent ahead, taken while the run is being stopped
  });
}
