import { spawn, type ChildProcess } from 'node:child_process';
import { existsSync, readFileSync } from 'node:fs';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { constants as osConstants } from 'node:os';
import { killProcessGroup } from './kill-group.js';
import { treeKiller } from './process-tree.js';
import { FedOutput } from './fed-output.js';
import { AHEAD_NOT_STARTED, type AheadProcess, type ExitStatus, type StartedChild, type TreeSignal } from './launcher-child.js';
import { LauncherUnavailableError, StartError } from '../errors/index.js';
import { encodeEnv, encodeSpawn, errnoName, frame, PROTOCOL_VERSION, signalName } from './launcher-protocol.js';

/**
 * Client of `tasker-launch` (native/tasker-launch.c), a small fork server. Node's own spawn forks
 * the whole Node process; the launcher forks a process of a few hundred KB, so a sequential run
 * of short commands costs about what bash pays (figures: docs/performance.md). The launcher only starts,
 * relays and reaps; timeouts, kills and capture stay in the runner.
 *
 * Availability: `TASKER_LAUNCHER=off` disables it; `TASKER_LAUNCHER=/path` names the binary;
 * by default it is `dist/native/tasker-launch` under the package root (built by `npm run build`
 * when a C compiler is present). When the binary is missing, not executable here, or speaks
 * another protocol, the runner falls back to Node's spawn: same behaviour, slower, except that a
 * killed task's double-forked daemons are not found there (process-tree.ts, spawnFallbackWarning).
 */

interface Pending {
  resolve: (c: StartedChild | undefined) => void;
  reject: (e: Error) => void;
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
    if (this.dead) return Promise.reject(new LauncherUnavailableError(this.dead));
    const id = this.nextId++;
    this.send(encodeSpawn('S', id, cwd ?? '', argv, encodeEnv(env)));
    this.ref();
    return new Promise((resolve, reject) =>
      this.pending.set(id, { resolve: (c) => (c ? resolve(c) : reject(new LauncherUnavailableError('answered a start with "not started"'))), reject }),
    );
  }

  private startAheadOf(after: number, argv: string[], cwd: string | undefined, env: NodeJS.ProcessEnv): AheadProcess {
    if (this.dead) return AHEAD_NOT_STARTED;
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
        p?.reject(stage === 'request' ? new LauncherUnavailableError('refused a request') : new StartError(errnoName(errno), stage));
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
    const aheads: AheadProcess[] = [];
    let stopped = false;
    p?.resolve({
      pid, stdout: a.out, stderr: a.err, exited,
      kill: (signal) => this.killTree(id, pid, signal),
      startAhead: (argv, cwd, env) => {
        if (stopped) return AHEAD_NOT_STARTED;
        const f = this.startAheadOf(id, argv, cwd, env);
        aheads.push(f);
        return f;
      },
      stopStartingAhead: async () => {
        stopped = true;
        for (const f of aheads) f.cancel();
        const started = await Promise.all(aheads.map((f) => f.started.catch(() => undefined)));
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
    for (const p of this.pending.values()) p.reject(new LauncherUnavailableError(this.dead));
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
