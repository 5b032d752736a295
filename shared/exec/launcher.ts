import { spawn, type ChildProcess } from 'node:child_process';
import { existsSync, readFileSync } from 'node:fs';
import { dirname, join } from 'node:path';
import { EventEmitter } from 'node:events';
import { fileURLToPath } from 'node:url';
import { constants as osConstants } from 'node:os';
import { killProcessGroup } from './kill-group.js';
import { treeKiller } from './process-tree.js';

/**
 * Client of `tasker-launch` (native/tasker-launch.c), a small fork server. Node's own spawn forks
 * the whole Node process (~2 ms here); the launcher forks a process of a few hundred KB, so a
 * sequential run of short commands costs about what bash pays. The launcher only starts,
 * relays and reaps; timeouts, kills and capture stay in the runner.
 *
 * Availability: `TASKER_LAUNCHER=off` disables it; `TASKER_LAUNCHER=/path` names the binary;
 * by default it is `dist/native/tasker-launch` under the package root (built by `npm run build`
 * when a C compiler is present). When the binary is missing, not executable here, or speaks
 * another protocol, the runner falls back to Node's spawn: same behaviour, slower, except that a
 * killed task's double-forked daemons are not found there (process-tree.ts, spawnFallbackWarning).
 */

const PROTOCOL_VERSION = 3;
const STREAM_HWM = 64 * 1024;

export interface ExitStatus {
  code: number | null;
  signal: NodeJS.Signals | null;
  /** Set when the launcher died and the child's fate is unknown (its group was killed). */
  lost?: string;
}

/**
 * How the runner reads a child's stdout or stderr: the subset of a Readable it uses, so Node's
 * pipes (the spawn fallback) and the launcher's relay ({@link FedOutput}) both fit. 'close'
 * comes once, after the last 'data', when the stream ended or was destroyed.
 */
export interface ChildOutput {
  on(event: 'data', listener: (chunk: Buffer) => void): unknown;
  on(event: 'error', listener: (err: Error) => void): unknown;
  once(event: 'close', listener: () => void): unknown;
  pause(): unknown;
  resume(): unknown;
  isPaused(): boolean;
  destroy(): unknown;
  readonly destroyed: boolean;
}

/** A started child: what the runner's supervisor needs, whatever started it. */
export interface StartedChild {
  pid: number;
  stdout: ChildOutput;
  stderr: ChildOutput;
  exited: Promise<ExitStatus>;
  /**
   * Sends `signal` to every process descended from the child: its process group and those that
   * left the group (setsid), also once orphaned: the launcher makes each program its own child
   * subreaper (native/start-program.c). With Node's spawn, as far as /proc still links them to
   * the child (see process-tree.ts).
   */
  kill(signal: TreeSignal): void;
  /** Its run settled: what it left behind is not ours to kill if we die (Node's spawn only). */
  release?(): void;
  /**
   * Has the launcher start another program as soon as this one exits with status 0, with no
   * round trip through Node (absent for children Node's spawn started). See {@link FollowOn}.
   */
  follow?(argv: string[], cwd: string | undefined, env: NodeJS.ProcessEnv): FollowOn;
  /**
   * Cancels every follow-on of this child that has not started, and makes later follow() calls
   * start nothing. Call it before killing the child: a killed program that still exits with
   * status 0 (a shell trapping SIGTERM) must not count as success. Resolves whether a follow-on
   * had started already (the child exited 0 on its own before the cancel reached the launcher).
   */
  stopFollowers?(): Promise<boolean>;
}

/**
 * A program the launcher starts by itself the moment its predecessor exits with status 0: the
 * engine's way to take its own turnaround off the path between two tasks of a plain sequence.
 * The launcher decides only on that exit status; a predecessor Node kills never gets a follower,
 * because {@link cancel} is called before the kill and the launcher reads it first.
 */
export interface FollowOn {
  /**
   * The started program; undefined when it was not started (the predecessor did not exit with
   * status 0, or cancel() came first). Rejects with StartError when it could not be started.
   * Once it resolves to a child, that child is the caller's to supervise (or kill).
   */
  readonly started: Promise<StartedChild | undefined>;
  /** Do not start it, unless it already started. Call before killing the predecessor. */
  cancel(): void;
}

/** The signals a task's tree is killed with: SIGTERM first, SIGKILL after the grace period. */
export type TreeSignal = 'SIGTERM' | 'SIGKILL';

/** A follow-on that will not start (the launcher is gone, or its predecessor is being killed). */
const NOT_STARTED: FollowOn = { started: Promise.resolve(undefined), cancel: () => undefined };

/** Why a program could not be started: errno code (ENOENT, EACCES, …) and the failing step. */
export class StartError extends Error {
  constructor(
    readonly code: string,
    readonly stage: string,
  ) {
    super(`${stage}: ${code}`);
  }
}

/** The launcher itself is not usable; the caller should start the program another way. */
export class LauncherUnavailable extends Error {}

interface Pending {
  resolve: (c: StartedChild | undefined) => void;
  reject: (e: Error) => void;
}

/**
 * An output stream whose bytes its owner feeds in: a launched child's stdout or stderr relayed by
 * the launcher, or a task's output arriving from an agent; handed on as 'data' (a ChildOutput).
 * Lighter than a Readable (two of which per command were a visible part of a short task's cost):
 * no internal buffer while someone reads; when paused, chunks queue, and past STREAM_HWM the owner
 * is asked to stop its source ('P': the launcher stops reading the pipe, so the program blocks
 * instead of our memory growing); resuming drains the queue and lets the source go on ('R'); 'C'
 * says the reader destroyed it before the end. Like a Readable, it holds its data until the first
 * 'data' listener arrives (frames can come before the runner has attached its capture).
 */
export class FedOutput extends EventEmitter implements ChildOutput {
  destroyed = false;
  private paused = true;
  private userPaused = false;
  private queue: Buffer[] = [];
  private queued = 0;
  private remotePaused = false;
  private ended = false;
  private closed = false;

  constructor(private readonly control: (op: 'P' | 'R' | 'C') => void) {
    super();
    const onListener = (event: string | symbol): void => {
      if (event !== 'data') return;
      this.off('newListener', onListener);
      // After the listener is in place (newListener runs before), unless someone paused first.
      process.nextTick(() => {
        if (!this.userPaused) this.resume();
      });
    };
    this.on('newListener', onListener);
  }

  /** Bytes from the launcher. */
  feed(data: Buffer): void {
    if (this.destroyed || this.ended) return;
    if (!this.paused && this.queued === 0) {
      this.emit('data', data);
      return;
    }
    this.queue.push(data);
    this.queued += data.length;
    if (this.queued >= STREAM_HWM && !this.remotePaused) {
      this.remotePaused = true;
      this.control('P');
    }
  }

  /** End of the stream (EOF from the launcher, or the launcher is gone). */
  end(): void {
    if (this.destroyed || this.ended) return;
    this.ended = true;
    if (!this.paused && this.queued === 0) this.close();
  }

  pause(): this {
    this.paused = true;
    this.userPaused = true;
    return this;
  }

  resume(): this {
    this.userPaused = false;
    if (!this.paused) return this;
    this.paused = false;
    while (!this.paused && !this.destroyed && this.queue.length > 0) {
      const chunk = this.queue.shift()!;
      this.queued -= chunk.length;
      this.emit('data', chunk);
    }
    if (this.paused || this.destroyed) return this;
    if (this.remotePaused) {
      this.remotePaused = false;
      this.control('R');
    }
    if (this.ended) this.close();
    return this;
  }

  isPaused(): boolean {
    return this.paused;
  }

  /** Stop reading: the launcher closes its end of the pipe (unless it already saw EOF). */
  destroy(): this {
    if (this.destroyed) return this;
    this.destroyed = true;
    if (!this.ended) this.control('C');
    this.queue = [];
    this.queued = 0;
    this.close();
    return this;
  }

  private close(): void {
    if (this.closed) return;
    this.closed = true;
    process.nextTick(() => this.emit('close'));
  }
}

interface Active {
  pid: number;
  out: FedOutput;
  err: FedOutput;
  exit: (s: ExitStatus) => void;
  exited: boolean;
  ends: number;
}

export class Launcher {
  private readonly proc: ChildProcess;
  private buf: Buffer = Buffer.alloc(0);
  private nextId = 1;
  private readonly pending = new Map<number, Pending>();
  private readonly active = new Map<number, Active>();
  private ready = false;
  private dead: string | undefined;
  private refs = 0;

  constructor(binary: string) {
    this.proc = spawn(binary, [], { stdio: ['pipe', 'pipe', 'inherit'], detached: true });
    this.proc.on('error', (e) => this.die(`cannot start ${binary}: ${e.message}`));
    this.proc.on('exit', (code, signal) => this.die(`exited (${signal ?? `code ${code}`})`));
    this.proc.stdin!.on('error', () => undefined); // the 'exit' handler reports it
    this.proc.stdout!.on('data', (d: Buffer) => this.onData(d));
    this.unref();
  }

  /** PID of the launcher process (for diagnostics and tests). */
  get pid(): number | undefined {
    return this.proc.pid;
  }

  /** Start `argv` in its own process group with stdout/stderr piped to us and stdin on /dev/null. */
  start(argv: string[], cwd: string | undefined, env: NodeJS.ProcessEnv): Promise<StartedChild> {
    if (this.dead) return Promise.reject(new LauncherUnavailable(this.dead));
    const id = this.nextId++;
    this.send(encodeSpawn('S', id, cwd ?? '', argv, encodeEnv(env)));
    this.ref();
    return new Promise((resolve, reject) =>
      this.pending.set(id, { resolve: (c) => (c ? resolve(c) : reject(new LauncherUnavailable('answered a start with "not started"'))), reject }),
    );
  }

  private startAfter(after: number, argv: string[], cwd: string | undefined, env: NodeJS.ProcessEnv): FollowOn {
    if (this.dead) return NOT_STARTED;
    const id = this.nextId++;
    this.send(encodeSpawn('A', id, cwd ?? '', argv, encodeEnv(env), after));
    this.ref();
    const started = new Promise<StartedChild | undefined>((resolve, reject) => this.pending.set(id, { resolve, reject }));
    started.catch(() => undefined); // a start error nobody waits for is not an unhandled rejection
    return {
      started,
      cancel: () => {
        if (this.pending.has(id) && !this.dead) this.send(frame('K', id));
      },
    };
  }

  private send(frame: Buffer): void {
    this.proc.stdin!.write(frame);
  }

  private control(id: number, op: 'P' | 'R' | 'C', stream: 1 | 2): void {
    if (this.dead) return;
    this.send(frame(op, id, stream));
  }

  private ref(): void {
    if (this.refs++ === 0) {
      this.proc.ref();
      (this.proc.stdout as unknown as { ref(): void }).ref();
    }
  }

  private unrefOne(): void {
    if (--this.refs === 0) this.unref();
  }

  private unref(): void {
    this.proc.unref();
    (this.proc.stdout as unknown as { unref(): void }).unref();
    (this.proc.stdin as unknown as { unref?(): void }).unref?.();
  }

  private onData(d: Buffer): void {
    this.buf = this.buf.length ? Buffer.concat([this.buf, d]) : d;
    let off = 0;
    while (this.buf.length - off >= 4) {
      const len = this.buf.readUInt32LE(off);
      if (this.buf.length - off - 4 < len) break;
      this.onEvent(this.buf.subarray(off + 4, off + 4 + len));
      off += 4 + len;
    }
    this.buf = off === this.buf.length ? Buffer.alloc(0) : this.buf.subarray(off);
  }

  private onEvent(ev: Buffer): void {
    const type = String.fromCharCode(ev[0]!);
    const id = ev.readUInt32LE(1);
    const body = ev.subarray(5);
    switch (type) {
      case 'h':
        if (id !== PROTOCOL_VERSION) this.die(`speaks protocol ${id}, not ${PROTOCOL_VERSION}`);
        else this.ready = true;
        return;
      case 'p':
        return this.started(id, body.readInt32LE(0));
      case 'k': {
        const p = this.pending.get(id);
        this.pending.delete(id);
        this.unrefOne();
        p?.resolve(undefined);
        return;
      }
      case 'e': {
        const errno = body.readInt32LE(0);
        const stage = body.subarray(8, 8 + body.readUInt32LE(4)).toString();
        const p = this.pending.get(id);
        this.pending.delete(id);
        this.unrefOne();
        p?.reject(stage === 'request' ? new LauncherUnavailable('refused a request') : new StartError(errnoName(errno), stage));
        return;
      }
      case 'd': {
        const a = this.active.get(id);
        if (!a) return;
        // Copy: the frame buffer is reused for the next events and may be large.
        (body[0] === 1 ? a.out : a.err).feed(Buffer.from(body.subarray(1)));
        return;
      }
      case 'z': {
        const a = this.active.get(id);
        if (!a) return;
        (body[0] === 1 ? a.out : a.err).end();
        a.ends++;
        return this.settleIfDone(id, a);
      }
      case 'x': {
        const a = this.active.get(id);
        if (!a) return;
        const value = body.readInt32LE(1);
        a.exited = true;
        a.exit(body[0] === 1 ? { code: null, signal: signalName(value) } : { code: value, signal: null });
        return this.settleIfDone(id, a);
      }
    }
  }

  private started(id: number, pid: number): void {
    const p = this.pending.get(id);
    this.pending.delete(id);
    let exit!: (s: ExitStatus) => void;
    const exited = new Promise<ExitStatus>((resolve) => (exit = resolve));
    const a: Active = {
      pid,
      out: new FedOutput((op) => this.streamControl(id, op, 1)),
      err: new FedOutput((op) => this.streamControl(id, op, 2)),
      exit,
      exited: false,
      ends: 0,
    };
    this.active.set(id, a);
    const followers: FollowOn[] = [];
    let stopped = false;
    p?.resolve({
      pid, stdout: a.out, stderr: a.err, exited,
      kill: (signal) => this.killTree(id, pid, signal),
      follow: (argv, cwd, env) => {
        if (stopped) return NOT_STARTED;
        const f = this.startAfter(id, argv, cwd, env);
        followers.push(f);
        return f;
      },
      stopFollowers: async () => {
        stopped = true;
        for (const f of followers) f.cancel();
        const started = await Promise.all(followers.map((f) => f.started.catch(() => undefined)));
        return started.some((c) => c !== undefined);
      },
    });
  }

  /**
   * Through the launcher, which reads the tree in /proc and signals it and the group. Not the
   * group from here first: the program could die of it before its tree was read, and its orphans
   * would be out of sight.
   */
  private killTree(id: number, pid: number, signal: TreeSignal): void {
    if (this.dead) killProcessGroup(pid, signal);
    else this.send(frame('T', id, osConstants.signals[signal]));
  }

  private streamControl(id: number, op: 'P' | 'R' | 'C', stream: 1 | 2): void {
    const a = this.active.get(id);
    if (!a) return;
    this.control(id, op, stream);
    if (op === 'C') {
      a.ends++;
      this.settleIfDone(id, a);
    }
  }

  /** The launcher forgets a child once it is reaped and both streams are closed; so do we. */
  private settleIfDone(id: number, a: Active): void {
    if (!a.exited || a.ends < 2) return;
    this.active.delete(id);
    this.unrefOne();
  }

  private die(reason: string): void {
    if (this.dead) return;
    this.dead = `process launcher ${reason}`;
    if (launcher === this) launcher = undefined;
    for (const p of this.pending.values()) p.reject(new LauncherUnavailable(this.dead));
    this.pending.clear();
    // Children it started are beyond its reach now: end their trees from here (each program is
    // its own subreaper, so /proc still links its descendants to it), report them lost.
    for (const a of this.active.values()) {
      treeKiller(a.pid)('SIGKILL');
      a.out.end();
      a.err.end();
      if (!a.exited) a.exit({ code: null, signal: 'SIGKILL', lost: this.dead });
    }
    this.active.clear();
    this.refs = 0;
    this.unref();
    // One that still runs (it speaks another protocol) gets EOF on its stdin: it ends its groups and exits.
    this.proc.stdin!.destroy();
    if (!this.ready) unavailable = this.dead;
  }
}

let launcher: Launcher | undefined;
let unavailable: string | undefined;

/** The process-wide launcher, started on first use; undefined when it cannot be used here. */
export function getLauncher(): Launcher | undefined {
  if (launcher) return launcher;
  if (unavailable) return undefined;
  const binary = launcherBinary();
  if (!binary) {
    unavailable = 'no launcher binary';
    return undefined;
  }
  launcher = new Launcher(binary);
  return launcher;
}

/** The launcher binary to use, or undefined when it is switched off or not built. */
export function launcherBinary(): string | undefined {
  const setting = process.env.TASKER_LAUNCHER;
  if (setting === 'off' || setting === '0') return undefined;
  if (setting) return setting;
  const root = packageRoot(dirname(fileURLToPath(import.meta.url)));
  const path = root && join(root, 'dist', 'native', 'tasker-launch');
  return path && existsSync(path) ? path : undefined;
}

/** Nearest directory at or above `dir` holding this package's package.json. */
function packageRoot(dir: string): string | undefined {
  for (let d = dir; ; d = dirname(d)) {
    const pkg = join(d, 'package.json');
    if (existsSync(pkg)) {
      try {
        if ((JSON.parse(readFileSync(pkg, 'utf8')) as { name?: string }).name === 'tasker') return d;
      } catch {
        /* not ours */
      }
    }
    if (dirname(d) === d) return undefined;
  }
}

const frozenEnvs = new WeakMap<object, Buffer>();

/** `u32 count, count × str` of KEY=VALUE; computed once for a frozen environment object. */
function encodeEnv(env: NodeJS.ProcessEnv): Buffer {
  const cached = frozenEnvs.get(env);
  if (cached) return cached;
  const entries: Buffer[] = [];
  for (const [k, v] of Object.entries(env)) if (v !== undefined) entries.push(Buffer.from(`${k}=${v}`));
  const encoded = encodeStrings(entries);
  if (Object.isFrozen(env)) frozenEnvs.set(env, encoded);
  return encoded;
}

function encodeStrings(list: Buffer[]): Buffer {
  let size = 4;
  for (const s of list) size += 4 + s.length;
  const f = Buffer.allocUnsafe(size);
  let o = f.writeUInt32LE(list.length, 0);
  for (const s of list) {
    o = f.writeUInt32LE(s.length, o);
    o += s.copy(f, o);
  }
  return f;
}

/** 'S' (start now) or 'A' (start once `after` exits with status 0): cwd, argv, env. */
function encodeSpawn(op: 'S' | 'A', id: number, cwd: string, argv: string[], env: Buffer, after = 0): Buffer {
  const cwdBytes = Buffer.from(cwd);
  const args = encodeStrings(argv.map((a) => Buffer.from(a)));
  const prefix = op === 'A' ? 4 : 0;
  const head = Buffer.allocUnsafe(4 + 1 + 4 + prefix + 4);
  head.writeUInt32LE(head.length - 4 + cwdBytes.length + args.length + env.length, 0);
  head.write(op, 4, 'latin1');
  head.writeUInt32LE(id, 5);
  if (prefix) head.writeUInt32LE(after, 9);
  head.writeUInt32LE(cwdBytes.length, 9 + prefix);
  return Buffer.concat([head, cwdBytes, args, env]);
}

/** A request without a spawn body: 'K' (no body), 'P'/'R'/'C' for one stream, 'T' with a signal number. */
function frame(op: 'K' | 'P' | 'R' | 'C' | 'T', id: number, arg?: number): Buffer {
  const f = Buffer.alloc(arg === undefined ? 9 : 10);
  f.writeUInt32LE(f.length - 4, 0);
  f.write(op, 4, 'latin1');
  f.writeUInt32LE(id, 5);
  if (arg !== undefined) f[9] = arg;
  return f;
}

const ERRNO_NAMES = new Map<number, string>(
  Object.entries(osConstants.errno).map(([name, n]) => [n, name]),
);
const SIGNAL_NAMES = new Map<number, NodeJS.Signals>(
  Object.entries(osConstants.signals).map(([name, n]) => [n, name as NodeJS.Signals]),
);

function errnoName(n: number): string {
  return ERRNO_NAMES.get(n) ?? `errno ${n}`;
}

function signalName(n: number): NodeJS.Signals | null {
  return SIGNAL_NAMES.get(n) ?? null;
}

/**
 * The one-line warning a CLI prints at start when `TASKER_LAUNCHER=off` asks for Node's spawn:
 * exactly what that mode does not guarantee (docs/task-files.md, "Processes a task leaves").
 */
export function spawnFallbackWarning(env: NodeJS.ProcessEnv = process.env): string | undefined {
  const setting = env.TASKER_LAUNCHER;
  if (setting !== 'off' && setting !== '0') return undefined;
  return (
    `TASKER_LAUNCHER=${setting}: tasks start with Node's spawn, so a process that leaves a task's process group ` +
    'and whose parent has exited (a double-forked daemon) is not killed on timeout, cancel or stop, nor when this process is killed'
  );
}
