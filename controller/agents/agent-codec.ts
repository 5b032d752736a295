/**
 * Protocol Buffers encoding of the agent messages the controller sends and receives
 * (proto/agent.proto, proto/health.proto), written out by hand.
 *
 * Why: loading @grpc/proto-loader (protobufjs, .proto parsing, descriptor building) costs the
 * controller ~110 ms on this machine on every run that uses an agent, and protobufjs/light alone
 * ~50 ms; these messages are small and fixed, and their wire format is plain proto3. Decoded
 * objects have the shapes proto-loader produces with PROTO_LOADER_OPTIONS (defaults filled in,
 * enums as names, 64-bit integers as numbers, the oneof's name in `event`), so the generated
 * `__Output` types hold. test/controller/agents/agent-codec.test.ts checks both directions
 * against proto-loader on the real .proto files, so a change there that is not made here fails.
 */
import type { ExecuteEvent__Output } from '../../shared/proto/generated/tasker/agent/v1/ExecuteEvent.js';
import type { ExecuteRequest } from '../../shared/proto/generated/tasker/agent/v1/ExecuteRequest.js';
import type { Finished__Output } from '../../shared/proto/generated/tasker/agent/v1/Finished.js';
import type { InfoResponse__Output } from '../../shared/proto/generated/tasker/agent/v1/InfoResponse.js';
import type { CheckHostsRequest } from '../../shared/proto/generated/tasker/agent/v1/CheckHostsRequest.js';
import type { CheckHostsResponse__Output } from '../../shared/proto/generated/tasker/agent/v1/CheckHostsResponse.js';
import type { HostResult__Output } from '../../shared/proto/generated/tasker/agent/v1/HostResult.js';
import type { SessionRequest } from '../../shared/proto/generated/tasker/agent/v1/SessionRequest.js';
import type { SessionEvent__Output } from '../../shared/proto/generated/tasker/agent/v1/SessionEvent.js';
import type { CallStatus__Output } from '../../shared/proto/generated/tasker/agent/v1/CallStatus.js';
import type { HealthCheckRequest } from '../../shared/proto/generated/grpc/health/v1/HealthCheckRequest.js';
import type { HealthCheckResponse__Output } from '../../shared/proto/generated/grpc/health/v1/HealthCheckResponse.js';

const VARINT = 0;
const I64 = 1;
const LEN = 2;
const I32 = 5;

/** Appends fields into one growing buffer; proto3: default values are not written. */
class Writer {
  private buf = Buffer.allocUnsafe(256);
  private len = 0;

  private reserve(n: number): void {
    if (this.len + n <= this.buf.length) return;
    const bigger = Buffer.allocUnsafe(Math.max(this.buf.length * 2, this.len + n));
    this.buf.copy(bigger, 0, 0, this.len);
    this.buf = bigger;
  }

  private varint(n: number): void {
    this.reserve(10);
    let v = n;
    while (v > 0x7f) {
      this.buf[this.len++] = (v % 128) | 0x80;
      v = Math.floor(v / 128);
    }
    this.buf[this.len++] = v;
  }

  private push(b: Buffer): void {
    this.reserve(b.length);
    b.copy(this.buf, this.len);
    this.len += b.length;
  }

  private tag(field: number, wire: number): void {
    this.varint(field * 8 + wire);
  }

  uint(field: number, v: number | undefined): this {
    if (!v) return this;
    if (!Number.isInteger(v) || v < 0) throw new RangeError(`field ${field}: ${v} is not an unsigned integer`);
    this.tag(field, VARINT);
    this.varint(v);
    return this;
  }

  bool(field: number, v: boolean | undefined): this {
    if (!v) return this;
    this.tag(field, VARINT);
    this.varint(1);
    return this;
  }

  bytes(field: number, v: Buffer | undefined, always = false): this {
    if (!v || (!v.length && !always)) return this;
    this.tag(field, LEN);
    this.varint(v.length);
    this.push(v);
    return this;
  }

  string(field: number, v: string | undefined, always = false): this {
    return v || always ? this.bytes(field, Buffer.from(v ?? '', 'utf8'), always) : this;
  }

  /** A repeated string: one field per value, empty ones included. */
  strings(field: number, values: readonly string[] | undefined): this {
    for (const v of values ?? []) this.string(field, v, true);
    return this;
  }

  message(field: number, inner: Writer): this {
    return this.bytes(field, inner.finish(), true);
  }

  finish(): Buffer {
    return this.buf.subarray(0, this.len);
  }
}

/** Reads fields in order; unknown fields are skipped (forward compatibility). */
class Reader {
  pos = 0;
  constructor(private readonly buf: Buffer) {}

  get done(): boolean {
    return this.pos >= this.buf.length;
  }

  varint(): number {
    let result = 0;
    let mul = 1;
    for (let i = 0; i < 10; i++) {
      if (this.pos >= this.buf.length) throw new RangeError('truncated varint');
      const b = this.buf[this.pos++]!;
      result += (b & 0x7f) * mul;
      if (b < 0x80) return result;
      mul *= 128;
    }
    throw new RangeError('varint longer than 10 bytes');
  }

  /** int32: the low 32 bits, signed (a negative value travels as a 10-byte varint). */
  int32(): number {
    let result = 0;
    for (let shift = 0; shift < 70; shift += 7) {
      if (this.pos >= this.buf.length) throw new RangeError('truncated varint');
      const b = this.buf[this.pos++]!;
      if (shift < 32) result |= (b & 0x7f) << shift;
      if (b < 0x80) return result | 0;
    }
    throw new RangeError('varint longer than 10 bytes');
  }

  tag(): { field: number; wire: number } {
    const t = this.varint();
    return { field: Math.floor(t / 8), wire: t % 8 };
  }

  bytes(): Buffer {
    const len = this.varint();
    const end = this.pos + len;
    if (end > this.buf.length) throw new RangeError('truncated length-delimited field');
    const out = this.buf.subarray(this.pos, end);
    this.pos = end;
    return out;
  }

  string(): string {
    return this.bytes().toString('utf8');
  }

  double(): number {
    if (this.pos + 8 > this.buf.length) throw new RangeError('truncated double');
    const v = this.buf.readDoubleLE(this.pos);
    this.pos += 8;
    return v;
  }

  skip(wire: number): void {
    if (wire === VARINT) this.varint();
    else if (wire === I64) this.pos += 8;
    else if (wire === LEN) this.bytes();
    else if (wire === I32) this.pos += 4;
    else throw new RangeError(`unsupported wire type ${wire}`);
    if (this.pos > this.buf.length) throw new RangeError('truncated field');
  }
}

export function encodeExecuteRequest(m: ExecuteRequest): Buffer {
  return new Writer()
    .string(1, m.run_id)
    .string(2, m.task_id)
    .string(3, m.exec_type)
    .string(4, m.hostname)
    .string(5, m.command)
    .string(6, m.arguments)
    .uint(7, m.timeout_ms as number | undefined)
    .uint(8, m.output_cap as number | undefined)
    .string(9, m.call_id)
    .string(10, m.after_call)
    .strings(11, m.secret_values)
    .finish();
}

/** A Session request: exactly one of execute, cancel, pause, resume (the first one given). */
export function encodeSessionRequest(m: SessionRequest): Buffer {
  const w = new Writer();
  if (m.execute) return w.bytes(1, encodeExecuteRequest(m.execute), true).finish();
  if (m.cancel !== undefined) return w.string(2, m.cancel, true).finish();
  if (m.pause !== undefined) return w.string(3, m.pause, true).finish();
  return w.string(4, m.resume, true).finish();
}

export function encodeHealthCheckRequest(m: HealthCheckRequest): Buffer {
  return new Writer().string(1, m.service).finish();
}

export function encodeInfoRequest(): Buffer {
  return Buffer.alloc(0);
}

export function encodeCheckHostsRequest(m: CheckHostsRequest): Buffer {
  const w = new Writer();
  for (const h of m.hosts ?? []) w.message(1, new Writer().string(1, h.hostname).string(2, h.exec_type));
  return w.bool(2, m.check_connectivity).finish();
}

function decodeFinished(buf: Buffer): Finished__Output {
  const f: Finished__Output = {
    exit_code: 0, signal: '', timed_out: false, duration_ms: 0, truncated: false, error: '', canceled: false,
    stdout_bytes: 0, stderr_bytes: 0, stderr_note: '', not_started: false,
  };
  const r = new Reader(buf);
  while (!r.done) {
    const { field, wire } = r.tag();
    if (field === 1 && wire === VARINT) f.exit_code = r.int32();
    else if (field === 2 && wire === LEN) f.signal = r.string();
    else if (field === 3 && wire === VARINT) f.timed_out = r.varint() !== 0;
    else if (field === 4 && wire === VARINT) f.duration_ms = r.varint();
    else if (field === 5 && wire === VARINT) f.truncated = r.varint() !== 0;
    else if (field === 6 && wire === LEN) {
      f.stdout_preview = r.bytes();
      f._stdout_preview = 'stdout_preview'; // proto3 `optional`: proto-loader names its synthetic oneof
    } else if (field === 7 && wire === LEN) f.error = r.string();
    else if (field === 8 && wire === VARINT) f.canceled = r.varint() !== 0;
    else if (field === 9 && wire === VARINT) f.stdout_bytes = r.varint();
    else if (field === 10 && wire === VARINT) f.stderr_bytes = r.varint();
    else if (field === 11 && wire === LEN) f.stderr_note = r.string();
    else if (field === 12 && wire === VARINT) f.not_started = r.varint() !== 0;
    else r.skip(wire);
  }
  return f;
}

function decodeStarted(buf: Buffer): { pid: number } {
  const s = new Reader(buf);
  let pid = 0;
  while (!s.done) {
    const t = s.tag();
    if (t.field === 1 && t.wire === VARINT) pid = s.varint();
    else s.skip(t.wire);
  }
  return { pid };
}

export function decodeExecuteEvent(buf: Buffer): ExecuteEvent__Output {
  const r = new Reader(buf);
  let ev: ExecuteEvent__Output = {};
  while (!r.done) {
    const { field, wire } = r.tag();
    // A oneof: the last member on the wire wins.
    if (field === 1 && wire === LEN) ev = { started: decodeStarted(r.bytes()), event: 'started' };
    else if (field === 2 && wire === LEN) ev = { stdout: r.bytes(), event: 'stdout' };
    else if (field === 3 && wire === LEN) ev = { stderr: r.bytes(), event: 'stderr' };
    else if (field === 4 && wire === LEN) ev = { finished: decodeFinished(r.bytes()), event: 'finished' };
    else r.skip(wire);
  }
  return ev;
}

/** A Session event: an ExecuteEvent's members one field number up, after the call_id; or `failed`. */
export function decodeSessionEvent(buf: Buffer): SessionEvent__Output {
  const r = new Reader(buf);
  let callId = '';
  let ev: Omit<SessionEvent__Output, 'call_id'> = {};
  while (!r.done) {
    const { field, wire } = r.tag();
    if (field === 1 && wire === LEN) callId = r.string();
    else if (field === 2 && wire === LEN) ev = { started: decodeStarted(r.bytes()), event: 'started' };
    else if (field === 3 && wire === LEN) ev = { stdout: r.bytes(), event: 'stdout' };
    else if (field === 4 && wire === LEN) ev = { stderr: r.bytes(), event: 'stderr' };
    else if (field === 5 && wire === LEN) ev = { finished: decodeFinished(r.bytes()), event: 'finished' };
    else if (field === 6 && wire === LEN) ev = { failed: decodeCallStatus(r.bytes()), event: 'failed' };
    else r.skip(wire);
  }
  return { call_id: callId, ...ev };
}

function decodeCallStatus(buf: Buffer): CallStatus__Output {
  const m: CallStatus__Output = { code: 0, message: '' };
  const r = new Reader(buf);
  while (!r.done) {
    const { field, wire } = r.tag();
    if (field === 1 && wire === VARINT) m.code = r.varint();
    else if (field === 2 && wire === LEN) m.message = r.string();
    else r.skip(wire);
  }
  return m;
}

const SERVING_STATUS = ['UNKNOWN', 'SERVING', 'NOT_SERVING', 'SERVICE_UNKNOWN'] as const;

export function decodeHealthCheckResponse(buf: Buffer): HealthCheckResponse__Output {
  const r = new Reader(buf);
  let status: number = 0;
  while (!r.done) {
    const { field, wire } = r.tag();
    if (field === 1 && wire === VARINT) status = r.varint();
    else r.skip(wire);
  }
  // proto-loader gives an unknown enum value as its number.
  return { status: (SERVING_STATUS[status] ?? status) as HealthCheckResponse__Output['status'] };
}

export function decodeInfoResponse(buf: Buffer): InfoResponse__Output {
  const m: InfoResponse__Output = {
    version: '', exec_types: [], running: 0, queued: 0, load_average: [], hostname: '', max_concurrent: 0, max_queue: 0, draining: false, features: [],
  };
  const r = new Reader(buf);
  while (!r.done) {
    const { field, wire } = r.tag();
    if (field === 1 && wire === LEN) m.version = r.string();
    else if (field === 2 && wire === LEN) m.exec_types.push(r.string());
    else if (field === 3 && wire === VARINT) m.running = r.varint();
    else if (field === 4 && wire === VARINT) m.queued = r.varint();
    else if (field === 5 && wire === LEN) {
      const packed = new Reader(r.bytes()); // repeated double: packed in proto3
      while (!packed.done) m.load_average.push(packed.double());
    } else if (field === 5 && wire === I64) m.load_average.push(r.double());
    else if (field === 6 && wire === LEN) m.hostname = r.string();
    else if (field === 7 && wire === VARINT) m.max_concurrent = r.varint();
    else if (field === 8 && wire === VARINT) m.max_queue = r.varint();
    else if (field === 9 && wire === VARINT) m.draining = r.varint() !== 0;
    else if (field === 10 && wire === LEN) m.features.push(r.string());
    else r.skip(wire);
  }
  return m;
}

function decodeHostResult(buf: Buffer): HostResult__Output {
  const m: HostResult__Output = { hostname: '', exec_type: '', ok: false, problems: [] };
  const r = new Reader(buf);
  while (!r.done) {
    const { field, wire } = r.tag();
    if (field === 1 && wire === LEN) m.hostname = r.string();
    else if (field === 2 && wire === LEN) m.exec_type = r.string();
    else if (field === 3 && wire === VARINT) m.ok = r.varint() !== 0;
    else if (field === 4 && wire === LEN) m.problems.push(r.string());
    else r.skip(wire);
  }
  return m;
}

export function decodeCheckHostsResponse(buf: Buffer): CheckHostsResponse__Output {
  const m: CheckHostsResponse__Output = { results: [] };
  const r = new Reader(buf);
  while (!r.done) {
    const { field, wire } = r.tag();
    if (field === 1 && wire === LEN) m.results.push(decodeHostResult(r.bytes()));
    else r.skip(wire);
  }
  return m;
}
