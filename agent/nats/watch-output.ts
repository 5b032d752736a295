/**
 * Output lines of running jobs for `parallelr --watch RUN_ID` (shared/nats/watch.ts): published on
 * core NATS (`tasker.watch.<run>.<seq>`, never stored) only while a watcher of the run announces
 * itself, so an unwatched run costs one map lookup per output chunk. Bounded: lines are cut at
 * MAX_LINE characters, a job sends at most LINES_PER_SECOND lines a second (the rest are counted
 * as dropped), one message carries at most MAX_BATCH lines. Masked: the values of secret-named
 * variables, of the agent's environment and of the task file's globals, never leave the agent.
 */
import type { NatsConnection } from '@nats-io/transport-node';
import { encodeWatch, WATCH_EXPIRES_MS, watchSubjects, type JobMessage, type WatchLines } from '../../shared/nats/index.js';
import { parseTaskFile } from '../../shared/taskfile/parser.js';
import { isSecretName } from '../../shared/taskfile/keys.js';
import { maskSecrets } from '../../shared/taskfile/variables.js';

const MAX_LINE = 1000;
const LINES_PER_SECOND = 200;
const MAX_BATCH = 64;

/** What runProcess takes to see a job's output as it comes. */
export interface OutputHooks {
  onStdout: (chunk: Buffer) => void;
  onStderr: (chunk: Buffer) => void;
}

interface JobLines {
  job: JobMessage;
  secrets?: string[];
  partial: { stdout: string; stderr: string };
  windowStart: number;
  sent: number;
  dropped: number;
}

/** The shell's working-directory variables, whose names match `*PWD*`. */
const WORKING_DIRECTORIES = new Set(['PWD', 'OLDPWD']);

/** Publishes the output lines of watched runs' jobs; one per worker process. */
export class WatchOutput {
  /** Watched run ids, and until when (a watcher announces itself every few seconds). */
  private readonly watched = new Map<string, number>();

  constructor(private readonly nc: NatsConnection, private readonly agent: string, private readonly env: NodeJS.ProcessEnv = process.env) {
    nc.subscribe(watchSubjects.watchingAll, {
      callback: (err, m) => {
        if (err) return;
        const now = Date.now();
        if (this.watched.size > 100) for (const [run, until] of this.watched) if (until < now) this.watched.delete(run);
        this.watched.set(m.subject.slice(m.subject.lastIndexOf('.') + 1), now + WATCH_EXPIRES_MS);
      },
    });
  }

  /** Hooks for one job's process: its lines go out while its run is watched. */
  forJob(job: JobMessage): OutputHooks {
    const s: JobLines = { job, partial: { stdout: '', stderr: '' }, windowStart: 0, sent: 0, dropped: 0 };
    return {
      onStdout: (chunk) => this.push(s, 'stdout', chunk),
      onStderr: (chunk) => this.push(s, 'stderr', chunk),
    };
  }

  private push(s: JobLines, stream: 'stdout' | 'stderr', chunk: Buffer): void {
    if ((this.watched.get(s.job.run_id) ?? 0) < Date.now()) {
      s.partial[stream] = '';
      return;
    }
    const text = s.partial[stream] + chunk.toString('utf8');
    const parts = text.split('\n');
    const rest = parts.pop()!;
    // A line longer than MAX_LINE is sent cut (and marked); what follows it up to its newline is dropped.
    s.partial[stream] = rest.length > MAX_LINE ? rest.slice(0, MAX_LINE + 1) : rest;
    if (!parts.length) return;
    const now = Date.now();
    if (now - s.windowStart >= 1000) {
      s.windowStart = now;
      s.sent = 0;
    }
    const room = Math.max(0, LINES_PER_SECOND - s.sent);
    const lines = parts.slice(0, room);
    // A message's `dropped` counts lines not shown before its lines (the watcher prints the note
    // first): earlier chunks' drops ride on this chunk's first message, this chunk's own drops
    // (after its lines) on a note of their own right after them.
    const droppedAfter = parts.length - lines.length;
    s.sent += lines.length;
    if (!lines.length) {
      s.dropped += droppedAfter;
      return;
    }
    s.secrets ??= this.secretsOf(s.job);
    for (let i = 0; i < lines.length; i += MAX_BATCH) {
      const batch = lines.slice(i, i + MAX_BATCH).map((l) => maskSecrets(l.length > MAX_LINE ? `${l.slice(0, MAX_LINE)}…` : l, s.secrets!));
      if (!this.publish(s, stream, batch)) return;
    }
    if (droppedAfter) {
      s.dropped = droppedAfter;
      this.publish(s, stream, []);
    }
  }

  /** One lines message (with the count of lines dropped before them); false when the connection is closed. */
  private publish(s: JobLines, stream: 'stdout' | 'stderr', lines: string[]): boolean {
    const m: WatchLines = { type: 'lines', run_id: s.job.run_id, seq: s.job.seq, task_file: s.job.task_file, agent: this.agent, stream, lines };
    if (s.dropped) m.dropped = s.dropped;
    s.dropped = 0;
    try {
      this.nc.publish(watchSubjects.lines(s.job.run_id, s.job.seq), encodeWatch(m));
      return true;
    } catch {
      return false; // a closed connection: watching is best effort
    }
  }

  /**
   * Values of secret-named variables: the agent's environment and the task file's globals, longest
   * first. The shell's PWD and OLDPWD hold working directories, not passwords (`*PWD*` is there for
   * the likes of DB_PWD): masking them would hide every path under them.
   */
  private secretsOf(job: JobMessage): string[] {
    const values = Object.entries(this.env).filter(([k, v]) => v && isSecretName(k) && !WORKING_DIRECTORIES.has(k)).map(([, v]) => v!);
    const { ast } = parseTaskFile(Buffer.from(job.content, 'base64').toString('utf8'), job.file_name);
    for (const g of ast.globals.values()) if (g.value && isSecretName(g.name)) values.push(g.value);
    return values.sort((a, b) => b.length - a.length);
  }
}
