/** An agent's side of start ahead: Executes sent ahead (`after_call`) and their events held until the engine takes them. */
import { EventEmitter } from 'node:events';
import type { ExecuteEvent__Output } from '../../shared/proto/generated/tasker/agent/v1/ExecuteEvent.js';
import type { AgentConnection } from '../agents/index.js';
import type { StreamingCall } from '../agents/index.js';
import type { StartedAhead } from '../../core/executors/index.js';

/**
 * The next task, sent to the agent while the current one runs (ExecuteRequest.after_call). Its
 * events wait here until the engine takes it for the task's turn; `started` says whether the
 * agent started it. Only an explicit `not_started` answer counts as not started: a call that
 * fails otherwise (the agent lost, a refusal) may have run, so it is taken and its failure is the
 * task's result, never a second run.
 */
export class ExecuteSentAhead implements StartedAhead {
  readonly started: Promise<boolean>;
  private readonly held: HeldCall<ExecuteEvent__Output>;
  /** An event of a started program arrived (started, output, finished). */
  private sawStart = false;

  constructor(
    /** The executor that sent it: only that one can take it. */
    readonly owner: object,
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
export class HeldCall<Res extends ExecuteEvent__Output> extends EventEmitter implements StreamingCall<Res> {
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
