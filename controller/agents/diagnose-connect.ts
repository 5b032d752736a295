/**
 * Names why a connection to an agent fails, by dialling it once more the way the client does and
 * looking at what the transport says (grpc-js reports only "No connection established" or
 * "Connection dropped"): the TLS verification error or the agent's alert, the socket's errno, a
 * TLS agent that closes a plaintext connection, an agent that refuses our client certificate by
 * closing the connection after the handshake, or a peer that does not speak HTTP/2.
 */
import { connect as netConnect } from 'node:net';
import type { Duplex } from 'node:stream';
import type { TLSSocket } from 'node:tls';
import { describeConnectError } from './describe-connect-error.js';

export const CLIENT_CERT_REFUSED =
  'TLS: the agent closed the connection right after the handshake: it refused our client certificate ' +
  "(tls.cert): not signed by the agent's CA, expired, or not a client certificate (the agent does not say which)";

export const PLAINTEXT_REFUSED =
  'the agent closed the plaintext connection without answering: it probably serves mutual TLS; give the ' +
  'controller its client certificate with agent_tls {ca, cert, key} in the config (used for every ad-hoc ' +
  'HOST:PORT, loopback included) or an agents: entry with tls';

const NOT_GRPC = 'the peer does not speak gRPC; is this a tasker-agent port?';

/** The HTTP/2 client preface and an empty SETTINGS frame: a gRPC server answers with SETTINGS. */
const PREFACE = Buffer.concat([Buffer.from('PRI * HTTP/2.0\r\n\r\nSM\r\n\r\n'), Buffer.from([0, 0, 0, 4, 0, 0, 0, 0, 0])]);
const DIAGNOSE_MS = 3000;

export interface DialTarget {
  /** Opens the transport as the client does; `ready` is its connect event ('connect' or 'secureConnect'). */
  open(): { socket: Duplex; ready: string };
  /** What the certificate had to name, or `unix:PATH` (describe-connect-error.ts). */
  dialled: string;
  kind: 'tls' | 'plain' | 'unix';
}

/** One dial of `target`: the named cause of its failure, or undefined when it answers like an agent. */
export function diagnoseConnect(target: DialTarget): Promise<string | undefined> {
  return new Promise((resolve) => {
    const { socket, ready } = target.open();
    let connected = false;
    let answer: Buffer | undefined;
    const done = (why: string | undefined) => {
      clearTimeout(timer);
      socket.destroy();
      resolve(why);
    };
    const timer = setTimeout(() => done(undefined), DIAGNOSE_MS);
    timer.unref();
    socket.once('error', (err: Error & { code?: string }) => done(describeConnectError(err, target.dialled) ?? err.message));
    socket.once(ready, () => {
      connected = true;
      socket.write(PREFACE);
    });
    socket.on('data', (chunk: Buffer) => {
      answer = answer ? Buffer.concat([answer, chunk]) : chunk;
      if (answer.length >= 9) done(answer[3] === 4 ? undefined : NOT_GRPC); // frame type 4: SETTINGS
    });
    socket.once('close', () => {
      if (answer) return done(NOT_GRPC);
      if (!connected) return done(undefined);
      if (target.kind === 'tls') return done((socket as TLSSocket).authorized ? CLIENT_CERT_REFUSED : undefined);
      done(target.kind === 'plain' ? PLAINTEXT_REFUSED : undefined);
    });
  });
}

/** A plaintext or Unix-socket dial. */
export function plainDial(options: { host: string; port: number } | { path: string }): () => { socket: Duplex; ready: string } {
  return () => ({ socket: netConnect(options), ready: 'connect' });
}
