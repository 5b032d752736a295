/**
 * The frames Node writes to `tasker-launch` (native/tasker-launch.c): spawn requests with their
 * argv and environment, and the one-byte controls (kill, pause, resume, close, tree signal); and
 * the names of the errno and signal numbers it reports.
 */
import { constants as osConstants } from 'node:os';

export const PROTOCOL_VERSION = 3;

const frozenEnvs = new WeakMap<object, Buffer>();

/** `u32 count, count × str` of KEY=VALUE; computed once for a frozen environment object. */
export function encodeEnv(env: NodeJS.ProcessEnv): Buffer {
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
export function encodeSpawn(op: 'S' | 'A', id: number, cwd: string, argv: string[], env: Buffer, after = 0): Buffer {
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
export function frame(op: 'K' | 'P' | 'R' | 'C' | 'T', id: number, arg?: number): Buffer {
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

export function errnoName(n: number): string {
  return ERRNO_NAMES.get(n) ?? `errno ${n}`;
}

export function signalName(n: number): NodeJS.Signals | null {
  return SIGNAL_NAMES.get(n) ?? null;
}
