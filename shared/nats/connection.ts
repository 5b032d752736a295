/**
 * NATS connection settings (config section `nats:`, environment, flags) and connecting with clear
 * errors. The NATS client is imported lazily so a CLI that never uses NATS does not pay for it.
 */
import { readFileSync } from 'node:fs';
import { deferredExtraCa } from '../extra-ca-certs.js';
import type { NatsConnection } from '@nats-io/transport-node';
import type { JetStreamManager } from '@nats-io/jetstream';
import { DEFAULT_POOL, checkSubjectToken } from './subjects.js';
import { SetupError } from '../errors/index.js';

export const DEFAULT_NATS_URL = 'nats://127.0.0.1:4222';
/** Default redelivery delay after a worker dies (consumer `ack_wait`), seconds. */
export const DEFAULT_ACK_WAIT_SEC = 30;

export interface NatsAuth {
  user?: string;
  pass?: string;
  token?: string;
  /** File holding an nkey seed (`SU…`). */
  nkeySeedFile?: string;
}

export interface NatsTls {
  ca?: string;
  cert?: string;
  key?: string;
}

/** Everything needed to reach the job queue. */
export interface NatsSettings {
  servers: string[];
  pool: string;
  ackWaitSec: number;
  /**
   * Stream replicas (`nats.replicas`, `TASKER_NATS_REPLICAS`, `--nats-replicas`), 1..5. Undefined:
   * new streams get one replica and existing streams are left as they are.
   */
  replicas?: number;
  auth?: NatsAuth;
  tls?: NatsTls;
  /** Bytes per tasker record file shipped back from an agent (`nats.records_max_mb`); absent: the default. */
  recordsCapBytes?: number;
}

/** Most replicas JetStream allows for a stream. */
export const MAX_REPLICAS = 5;

type Obj = Record<string, unknown>;

/**
 * Build settings from a config `nats:` section (already parsed), the environment and CLI flags.
 * Precedence: flags > environment (`TASKER_NATS_URL`, `TASKER_NATS_POOL`, `TASKER_NATS_ACK_WAIT`,
 * `TASKER_NATS_REPLICAS`) > config > defaults. Throws SetupError naming the key for a bad value.
 */
export function natsSettingsFrom(
  section: unknown,
  env: NodeJS.ProcessEnv = {},
  flags: { url?: string; pool?: string; ackWaitSec?: number; replicas?: string } = {},
  where = 'config',
): NatsSettings {
  if (section !== undefined && section !== null && (typeof section !== 'object' || Array.isArray(section))) {
    throw new SetupError(`${where}: \`nats\` must be a mapping`);
  }
  const s = (section ?? {}) as Obj;
  const known = new Set(['url', 'pool', 'ack_wait', 'replicas', 'user', 'pass', 'token', 'nkey_seed_file', 'tls', 'records_max_mb']);
  for (const k of Object.keys(s)) {
    if (!known.has(k)) throw new SetupError(`${where}: unknown key \`nats.${k}\` (known: ${[...known].join(', ')})`);
  }
  const str = (key: string): string | undefined => {
    const v = s[key];
    if (v === undefined || v === null) return undefined;
    if (typeof v !== 'string' || v === '') throw new SetupError(`${where}: \`nats.${key}\` must be a non-empty string`);
    return v;
  };
  const url = flags.url ?? nonEmpty(env.TASKER_NATS_URL) ?? str('url') ?? DEFAULT_NATS_URL;
  const written = takeUrlCredentials(url.split(',').map((u) => u.trim()).filter(Boolean));
  const servers = written.servers;
  if (!servers.length) throw new SetupError(`NATS URL is empty`);
  const pool = flags.pool ?? nonEmpty(env.TASKER_NATS_POOL) ?? str('pool') ?? DEFAULT_POOL;
  try {
    checkSubjectToken('NATS pool name', pool);
  } catch (e) {
    throw new SetupError((e as Error).message);
  }
  let ackWaitSec = flags.ackWaitSec;
  if (ackWaitSec === undefined && nonEmpty(env.TASKER_NATS_ACK_WAIT) !== undefined) {
    ackWaitSec = parseAckWait(env.TASKER_NATS_ACK_WAIT!, 'TASKER_NATS_ACK_WAIT');
  }
  if (ackWaitSec === undefined && s.ack_wait !== undefined && s.ack_wait !== null) {
    ackWaitSec = parseAckWait(String(s.ack_wait), `${where}: nats.ack_wait`);
  }
  const settings: NatsSettings = { servers, pool, ackWaitSec: ackWaitSec ?? DEFAULT_ACK_WAIT_SEC };
  const replicas =
    flags.replicas !== undefined ? parseReplicas(flags.replicas, '--nats-replicas')
    : nonEmpty(env.TASKER_NATS_REPLICAS) !== undefined ? parseReplicas(env.TASKER_NATS_REPLICAS!, 'TASKER_NATS_REPLICAS')
    : s.replicas !== undefined && s.replicas !== null ? parseReplicas(String(s.replicas), `${where}: nats.replicas`)
    : undefined;
  if (replicas !== undefined) settings.replicas = replicas;
  const capMb = nonEmpty(env.TASKER_NATS_RECORDS_MAX_MB) !== undefined
    ? parseRecordsMaxMb(env.TASKER_NATS_RECORDS_MAX_MB!, 'TASKER_NATS_RECORDS_MAX_MB')
    : s.records_max_mb !== undefined && s.records_max_mb !== null ? parseRecordsMaxMb(String(s.records_max_mb), `${where}: nats.records_max_mb`) : undefined;
  if (capMb !== undefined) settings.recordsCapBytes = Math.round(capMb * 1024 * 1024);
  const auth: NatsAuth = {};
  const user = str('user');
  const pass = str('pass');
  const token = str('token');
  const nkey = str('nkey_seed_file');
  if (user !== undefined) auth.user = user;
  if (pass !== undefined) auth.pass = pass;
  if (token !== undefined) auth.token = token;
  if (nkey !== undefined) auth.nkeySeedFile = nkey;
  if ((user === undefined) !== (pass === undefined)) {
    throw new SetupError(`${where}: \`nats.user\` and \`nats.pass\` go together`);
  }
  // Credentials written in the URL come with it, from wherever it came: they win over the config's.
  if (written.auth) {
    delete auth.user;
    delete auth.pass;
    delete auth.token;
    Object.assign(auth, written.auth);
  }
  if (Object.keys(auth).length) settings.auth = auth;
  if (s.tls !== undefined && s.tls !== null) {
    if (typeof s.tls !== 'object' || Array.isArray(s.tls)) throw new SetupError(`${where}: \`nats.tls\` must be a mapping with ca, cert, key`);
    const t = s.tls as Obj;
    const tls: NatsTls = {};
    for (const k of Object.keys(t)) {
      if (k !== 'ca' && k !== 'cert' && k !== 'key') throw new SetupError(`${where}: unknown key \`nats.tls.${k}\` (known: ca, cert, key)`);
      if (typeof t[k] !== 'string') throw new SetupError(`${where}: \`nats.tls.${k}\` must be a file path`);
      tls[k] = t[k] as string;
    }
    if ((tls.cert === undefined) !== (tls.key === undefined)) {
      throw new SetupError(`${where}: \`nats.tls.cert\` and \`nats.tls.key\` go together`);
    }
    settings.tls = tls;
  }
  return settings;
}

/** Seconds from 1 to 86400 (fractions allowed, e.g. 2.5). */
export function parseAckWait(text: string, where: string): number {
  const n = Number(text);
  if (!Number.isFinite(n) || n < 1 || n > 86400) {
    throw new SetupError(`${where} must be a number of seconds from 1 to 86400, got \`${text}\``);
  }
  return n;
}

/** Stream replicas: a whole number from 1 to 5 (JetStream's limit; 3 for a 3-node cluster). */
export function parseReplicas(text: string, where: string): number {
  const n = Number(text);
  if (!/^\s*\d+\s*$/.test(text) || n < 1 || n > MAX_REPLICAS) {
    throw new SetupError(`${where} must be a whole number of stream replicas from 1 to ${MAX_REPLICAS} (3 for a 3-node cluster), got \`${text}\``);
  }
  return n;
}

/** MiB per shipped record file, from 0.01 to 1024 (fractions allowed). */
export function parseRecordsMaxMb(text: string, where: string): number {
  const n = Number(text);
  if (!Number.isFinite(n) || n < 0.01 || n > 1024) {
    throw new SetupError(`${where} must be a number of MiB from 0.01 to 1024, got \`${text}\``);
  }
  return n;
}

function nonEmpty(v: string | undefined): string | undefined {
  return v === undefined || v === '' ? undefined : v;
}

/**
 * Credentials written in server URLs (`nats://user:pass@host:4222`, `nats://token@host`, encoded as
 * URLs encode them), taken out: the servers without them — what is shown, logged and saved with a
 * run, so a password never reaches a screen, a log or a state file — and the auth they give.
 * Different credentials in two URLs of one list are refused.
 */
export function takeUrlCredentials(urls: readonly string[]): { servers: string[]; auth?: NatsAuth } {
  let auth: NatsAuth | undefined;
  const servers = urls.map((url) => {
    const scheme = /^[a-z][a-z0-9+.-]*:\/\//i.exec(url)?.[0] ?? '';
    const rest = url.slice(scheme.length);
    const authorityEnd = rest.search(/[/?#]|$/);
    const at = rest.lastIndexOf('@', authorityEnd - 1);
    if (at < 0) return url;
    const info = rest.slice(0, at);
    const colon = info.indexOf(':');
    const got: NatsAuth = colon >= 0 ? { user: decoded(info.slice(0, colon)), pass: decoded(info.slice(colon + 1)) } : { token: decoded(info) };
    if (auth && JSON.stringify(auth) !== JSON.stringify(got)) {
      throw new SetupError('the NATS server URLs carry different credentials: write them in one form for all (or give nats.user/pass or nats.token)');
    }
    auth = got;
    return scheme + rest.slice(at + 1);
  });
  return auth ? { servers, auth } : { servers };
}

function decoded(text: string): string {
  try {
    return decodeURIComponent(text);
  } catch {
    return text;
  }
}

/** Options for {@link connectNats}. */
export interface ConnectOptions {
  servers: string | string[];
  auth?: NatsAuth;
  tls?: NatsTls;
  /** Connection name shown by the server (`nats server report connections`). */
  name?: string;
}

/**
 * Connect, reconnecting forever after the first success (a restarted nats-server is picked up
 * again). Throws SetupError naming the URL when the server cannot be reached or refuses us.
 */
export async function connectNats(opts: ConnectOptions): Promise<NatsConnection> {
  const written = takeUrlCredentials(Array.isArray(opts.servers) ? opts.servers : opts.servers.split(','));
  const servers = written.servers;
  const where = servers.join(',');
  const nats = await import('@nats-io/transport-node');
  const options: Parameters<typeof nats.connect>[0] = {
    servers,
    maxReconnectAttempts: -1,
    reconnectTimeWait: 250,
    reconnectJitter: 100,
    timeout: 5000,
    pingInterval: 10_000,
    name: opts.name,
    // No extra stack captured for every request and JetStream publish: a measurable part of an
    // agent's per-job CPU (docs/nats.md, "Throughput"); errors keep their messages.
    noAsyncTraces: true,
  };
  const auth = written.auth ? { ...opts.auth, ...written.auth } : opts.auth;
  if (auth?.user !== undefined) {
    options.user = auth.user;
    options.pass = auth.pass;
  }
  if (auth?.token !== undefined) options.token = auth.token;
  if (auth?.nkeySeedFile !== undefined) {
    let seed: Uint8Array;
    try {
      seed = new TextEncoder().encode(readFileSync(auth.nkeySeedFile, 'utf8').trim());
    } catch (e) {
      throw new SetupError(`cannot read nkey seed file ${auth.nkeySeedFile}: ${(e as NodeJS.ErrnoException).code ?? (e as Error).message}`);
    }
    options.authenticator = nats.nkeyAuthenticator(seed);
  }
  // Without a CA of its own, TLS relies on Node's default store, which lacks NODE_EXTRA_CA_CERTS
  // when the bin deferred it (shared/extra-ca-certs.ts): add those certificates here.
  const extraCa = opts.tls?.ca ? undefined : await deferredExtraCa();
  const wantsTls = opts.tls !== undefined || servers.some((s) => /^tls:\/\//i.test(s.trim()));
  if (opts.tls || (wantsTls && extraCa)) {
    const tls: Record<string, string> = {};
    if (opts.tls?.ca) tls.caFile = opts.tls.ca;
    else if (extraCa) tls.ca = extraCa;
    if (opts.tls?.cert) tls.certFile = opts.tls.cert;
    if (opts.tls?.key) tls.keyFile = opts.tls.key;
    options.tls = tls;
  }
  let error: unknown;
  try {
    return await nats.connect(options);
  } catch (e) {
    error = e;
  }
  // A nats:// server may still demand TLS; setting `tls` up front would refuse plain servers,
  // so the deferred certificates are offered on a second try, when the first failed on them.
  if (extraCa && !wantsTls && isCertificateError(error)) {
    options.tls = { ca: extraCa };
    try {
      return await nats.connect(options);
    } catch (e) {
      error = e;
    }
  }
  throw new SetupError(describeConnectError(error, where), { cause: error });
}

function isCertificateError(e: unknown): boolean {
  const err = e as Error & { code?: string; cause?: { code?: string; message?: string } };
  const text = `${err?.code ?? ''} ${err?.message ?? ''} ${err?.cause?.code ?? ''} ${err?.cause?.message ?? ''}`;
  return /CERT|certificate|self.signed/i.test(text);
}

function describeConnectError(e: unknown, where: string): string {
  const err = e as Error & { code?: string };
  const msg = err?.message ?? String(e);
  if (err?.name === 'AuthorizationError' || /authoriz|authentic/i.test(msg)) {
    return `NATS at ${where} refused our credentials (${msg}); check nats.user/pass, token or nkey_seed_file`;
  }
  if (/tls|certificate|ssl/i.test(msg)) return `TLS handshake with NATS at ${where} failed: ${msg}`;
  return `cannot reach NATS at ${where}: ${msg}`;
}

/** The JetStream manager, or SetupError when the server runs without JetStream. */
export async function jetStreamManagerOf(nc: NatsConnection, where: string): Promise<JetStreamManager> {
  const { jetstreamManager } = await import('@nats-io/jetstream');
  try {
    return await jetstreamManager(nc, { timeout: 5000 });
  } catch (e) {
    const err = e as Error;
    if (err.name === 'JetStreamNotEnabled' || /jetstream.*not enabled|no responders/i.test(err.message)) {
      throw new SetupError(
        `JetStream is not enabled on the NATS server at ${where}: start nats-server with -js (or a \`jetstream {}\` block in its config)`,
        { cause: e },
      );
    }
    throw new SetupError(`JetStream at ${where} did not answer: ${err.message}`, { cause: e });
  }
}
