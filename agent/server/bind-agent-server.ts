import type * as grpc from '@grpc/grpc-js';
import { ConfigError } from '../../shared/errors/index.js';
import type { ListenAddress } from './listen-address.js';
import { oneWriteEndInterceptor } from './one-write-end.js';
import { prepareUnixSocket, restrictSocketFile } from './unix-socket.js';

export interface AgentTls {
  ca: Buffer;
  cert: Buffer;
  key: Buffer;
}

/** A service to serve: its definition and its handlers. */
export interface ServedService {
  definition: grpc.ServiceDefinition;
  handlers: grpc.UntypedServiceImplementation;
}

/**
 * Create the gRPC server with `services` and bind it to `addr` (mutual TLS with `tls`, else
 * plaintext); a Unix socket is made private to its owner. Failures are ConfigErrors naming `listen`.
 */
export async function bindAgentServer(
  grpcJs: typeof grpc,
  addr: ListenAddress,
  listen: string,
  tls: AgentTls | undefined,
  services: ServedService[],
): Promise<{ server: grpc.Server; port: number }> {
  const server = new grpcJs.Server({
    // Per-call bookkeeping nobody reads here (no channelz admin service is served).
    'grpc.enable_channelz': 0,
    // Controllers keep idle connections alive with pings; allow them.
    'grpc.keepalive_permit_without_calls': 1,
    'grpc.http2.min_ping_interval_without_data_ms': 1000,
    'grpc.keepalive_time_ms': 10_000,
    'grpc.keepalive_timeout_ms': 5_000,
    // A short task's response (headers, started, finished, trailers) leaves in one write.
    interceptors: [oneWriteEndInterceptor(grpcJs)],
  });
  for (const s of services) server.addService(s.definition, s.handlers);
  const creds = tls
    ? grpcJs.ServerCredentials.createSsl(tls.ca, [{ private_key: tls.key, cert_chain: tls.cert }], true)
    : grpcJs.ServerCredentials.createInsecure();
  if (addr.kind === 'unix') {
    try {
      await prepareUnixSocket(addr.path);
    } catch (err) {
      throw new ConfigError(`cannot listen on ${listen}: ${(err as Error).message}`);
    }
  }
  const port = await new Promise<number>((resolve, reject) =>
    server.bindAsync(addr.bind, creds, (err, p) => (err ? reject(new ConfigError(`cannot listen on ${listen}: ${err.message}`)) : resolve(p))),
  );
  if (addr.kind === 'unix') {
    try {
      await restrictSocketFile(addr.path);
    } catch (err) {
      server.forceShutdown();
      throw new ConfigError(`cannot make ${addr.path} private (chmod 0600): ${(err as Error).message}`);
    }
  }
  return { server, port };
}

/** Shut the server down gracefully, forcing it after 2 s. */
export function shutdownServer(server: grpc.Server): Promise<void> {
  return new Promise<void>((resolve) => {
    const timer = setTimeout(() => {
      server.forceShutdown();
      resolve();
    }, 2000);
    server.tryShutdown(() => {
      clearTimeout(timer);
      resolve();
    });
  });
}
