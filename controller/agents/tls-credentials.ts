import { isIP } from 'node:net';
import { checkServerIdentity, connect as tlsConnect, createSecureContext, type SecureContext } from 'node:tls';
import type * as grpcTypes from '@grpc/grpc-js';

/** Client TLS material (PEM contents) and the name the agent's certificate must carry. */
export interface AgentTlsMaterial {
  ca: Buffer;
  cert: Buffer;
  key: Buffer;
  /** Host name or IP address checked against the certificate (SAN / CN). */
  verifyName: string;
}

/**
 * Mutual-TLS channel credentials for an agent. Unlike grpc-js's `createSsl`, which always sends
 * the target host as TLS ServerName (SNI), this sends SNI only when the checked name is a host
 * name: RFC 6066 forbids IP addresses there, and Node warns about it (DEP0123) on every new
 * connection to an agent given as `10.0.0.5:50051`. The certificate is still verified against the
 * name or the IP address (an IP must be an IP SAN of the agent's certificate).
 *
 * grpc-js calls `_createSecureConnector` for every new subchannel connection; the connector
 * upgrades the TCP socket with `tls.connect` and requires the peer to be authorized.
 */
export function createAgentTlsCredentials(grpc: typeof grpcTypes, tls: AgentTlsMaterial): grpcTypes.ChannelCredentials {
  const context = createSecureContext({ ca: tls.ca, cert: tls.cert, key: tls.key });
  AgentTlsCredentials ??= defineClass(grpc);
  return new AgentTlsCredentials(grpc, context, tls.verifyName);
}

type CredentialsClass = new (grpc: typeof grpcTypes, context: SecureContext, name: string) => grpcTypes.ChannelCredentials;
/** Defined on first use, so @grpc/grpc-js is loaded only by runs that use agents. */
let AgentTlsCredentials: CredentialsClass | undefined;

function defineClass(grpc: typeof grpcTypes): CredentialsClass {
  class Credentials extends grpc.ChannelCredentials {
    constructor(
      private readonly grpcJs: typeof grpcTypes,
      private readonly context: SecureContext,
      private readonly name: string,
    ) {
      super();
    }

    _isSecure(): boolean {
      return true;
    }

    /** Channels (Agent and Health clients) share a subchannel only when given the same object. */
    _equals(other: grpcTypes.ChannelCredentials): boolean {
      return other === this;
    }

    _createSecureConnector(
      _target: grpcTypes.experimental.GrpcUri,
      _options: grpcTypes.ChannelOptions,
      callCredentials?: grpcTypes.CallCredentials,
    ): grpcTypes.experimental.SecureConnector {
      const { context, name } = this;
      const creds = callCredentials ?? this.grpcJs.credentials.createEmpty();
      return {
        connect: (socket) =>
          new Promise((resolve, reject) => {
            const tlsSocket = tlsConnect(
              {
                socket,
                secureContext: context,
                ALPNProtocols: ['h2'],
                ...(isIP(name) ? {} : { servername: name }),
                checkServerIdentity: (_host, cert) => checkServerIdentity(name, cert),
              },
              () => {
                if (!tlsSocket.authorized) return reject(tlsSocket.authorizationError);
                resolve({ socket: tlsSocket, secure: true });
              },
            );
            tlsSocket.on('error', reject);
          }),
        waitForReady: () => Promise.resolve(),
        getCallCredentials: () => creds,
        destroy: () => undefined,
      };
    }
  }
  return Credentials;
}

/** The host part of `HOST:PORT` / `[v6]:PORT`. */
export function hostOfAddress(address: string): string {
  return address.replace(/:\d+$/, '').replace(/^\[(.*)\]$/, '$1');
}
