/** A Session stream client for the agent's tests (test/agent/session*.test.ts): it records every event it receives. */
import * as grpc from '@grpc/grpc-js';
import { writeFileSync } from 'node:fs';
import { join } from 'node:path';
import type { AgentClient } from '../../shared/proto/generated/tasker/agent/v1/Agent.js';
import type { ExecuteRequest } from '../../shared/proto/generated/tasker/agent/v1/ExecuteRequest.js';
import type { SessionEvent__Output } from '../../shared/proto/generated/tasker/agent/v1/SessionEvent.js';
import type { SessionRequest } from '../../shared/proto/generated/tasker/agent/v1/SessionRequest.js';
import { loadProtos } from '../../shared/proto/load-proto.js';
import { tempDir } from './run-cli.js';
import { eventually, processesMatching, uniqueSleep, type AgentProcess } from './agent-process.js';

type Event = SessionEvent__Output;

export async function newClient(address: string, creds = grpc.credentials.createInsecure(), options: grpc.ChannelOptions = {}): Promise<AgentClient> {
  const protos = await loadProtos();
  return new protos.agent.tasker.agent.v1.Agent(address, creds, options);
}

/** One Session stream, recording every event it receives. */
export class SessionClient {
  readonly stream: grpc.ClientDuplexStream<SessionRequest, Event>;
  readonly events: Event[] = [];
  /** The stream's final status (also for a refused or cancelled stream). */
  readonly status: Promise<grpc.StatusObject>;
  /** How many events had arrived when the server ended the stream; undefined while it is open. */
  endedAfter: number | undefined;
  private closed = false;
  private readonly waiters = new Set<() => void>();

  constructor(
    client: AgentClient,
    private readonly runId: string,
  ) {
    this.stream = client.Session();
    this.stream.on('data', (e: Event) => {
      this.events.push(e);
      this.wake();
    });
    this.stream.on('end', () => (this.endedAfter = this.events.length));
    this.stream.on('error', () => undefined); // reported by 'status'
    this.status = new Promise((resolve) =>
      this.stream.on('status', (s: grpc.StatusObject) => {
        resolve(s);
        // Events still being delivered come first; then a waiter that found nothing gives up.
        setImmediate(() => {
          this.closed = true;
          this.wake();
        });
      }),
    );
  }

  /** Start a call: `local` exec type, task_id = call_id, unless `fields` says otherwise. */
  execute(callId: string, fields: Partial<ExecuteRequest> = {}): void {
    this.stream.write({
      execute: { run_id: this.runId, task_id: callId, exec_type: 'local', hostname: 'localhost', command: 'true', arguments: '', call_id: callId, ...fields },
    });
  }

  /** Start a call whose shell sleeps and has a sleeping child; resolves (with the marker) once both run. */
  async sleeper(callId: string): Promise<string> {
    const sleep = uniqueSleep();
    this.sh(callId, `sleep ${sleep} & echo ready; sleep ${sleep}`);
    await this.printed(callId, 'ready\n');
    await eventually(() => processesMatching(`sleep ${sleep}`).length > 1);
    return sleep;
  }

  /** Start a call running `sh -c SCRIPT`. */
  sh(callId: string, script: string): void {
    this.execute(callId, { command: 'sh', arguments: `-c '${script}'` });
  }

  send(request: SessionRequest): void {
    this.stream.write(request);
  }

  /** The first event (received so far or later) that matches. */
  waitFor(what: string, match: (e: Event) => boolean): Promise<Event> {
    return new Promise((resolve, reject) => {
      const check = () => {
        const found = this.events.find(match);
        if (!found && !this.closed) return;
        this.waiters.delete(check);
        if (found) resolve(found);
        else reject(new Error(`the session ended before ${what}; events: ${JSON.stringify(this.events.map(summary))}`));
      };
      this.waiters.add(check);
      check();
    });
  }

  /** The call's last event: `finished` or `failed`. */
  end(callId: string): Promise<Event> {
    return this.waitFor(`the end of call ${callId}`, (e) => e.call_id === callId && (e.event === 'finished' || e.event === 'failed'));
  }

  /** Resolves once the call's stdout so far contains `text`. */
  printed(callId: string, text: string): Promise<Event> {
    return this.waitFor(`"${text}" from call ${callId}`, (e) => e.call_id === callId && e.event === 'stdout' && this.stdout(callId).includes(text));
  }

  of(callId: string): Event[] {
    return this.events.filter((e) => e.call_id === callId);
  }

  stdout(callId: string): string {
    return this.text(callId, 'stdout');
  }

  stderr(callId: string): string {
    return this.text(callId, 'stderr');
  }

  private text(callId: string, stream: 'stdout' | 'stderr'): string {
    return Buffer.concat(this.of(callId).flatMap((e) => (e.event === stream ? [e[stream]!] : []))).toString();
  }

  private wake(): void {
    for (const w of [...this.waiters]) w();
  }
}

/** An event without its payload, for messages. */
export const summary = (e: Event) => `${e.call_id}:${e.event}${e.event === 'failed' ? `(${e.failed!.code})` : ''}`;

/** The kinds of a call's events, in order, with runs of output collapsed ("started stdout finished"). */
export const shape = (events: Event[]) => events.map((e) => e.event).filter((k, i, all) => !(i > 0 && k === all[i - 1] && (k === 'stdout' || k === 'stderr'))).join(' ');

/** The outcome the agent logged for a call ("exit 0", "canceled(CANCELED)"), once it logged one. */
export function loggedOutcome(a: AgentProcess, runId: string, taskId: string): string | undefined {
  for (const line of a.log().split('\n')) {
    if (!line.includes('"execute done"')) continue;
    const l = JSON.parse(line) as { runId?: string; taskId?: string; outcome?: string };
    if (l.runId === runId && l.taskId === taskId) return l.outcome;
  }
  return undefined;
}

/** A file path the test creates to let a waiting script go on (`until [ -e F ]`). */
export function gate(): { path: string; wait: string; open: () => void } {
  const path = join(tempDir('tasker-session-'), 'go');
  return { path, wait: `while [ ! -e ${path} ]; do sleep 0.02; done`, open: () => writeFileSync(path, '') };
}
