import type { PeerCall } from './execute-context.js';

/** The client certificate's CN (mTLS), if any. */
export function readClientName(call: PeerCall): string | undefined {
  const cn = call.getAuthContext()?.sslPeerCertificate?.subject?.CN;
  return Array.isArray(cn) ? cn[0] : cn;
}

/**
 * The --allow-client check: returns a PERMISSION_DENIED message for a call whose certificate name
 * is not allowed, or undefined. With no allowed names every caller passes.
 */
export function createAuthorizer(allowClients: ReadonlySet<string> | undefined): (call: PeerCall) => string | undefined {
  return (call) => {
    if (!allowClients) return undefined;
    const name = readClientName(call);
    if (name && allowClients.has(name)) return undefined;
    return `client \`${name ?? '(no certificate name)'}\` is not allowed on this agent (--allow-client)`;
  };
}
