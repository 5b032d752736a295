/**
 * Names why a connection to an agent failed, from the transport's error (TLS verification, the
 * agent's TLS alert, a socket's errno), so an operator reads "the agent's certificate has expired"
 * rather than "the agent cancelled the call". `dialled` is the name the certificate had to carry
 * (tls.server_name or the address's host) or the `unix:PATH`. Undefined when there is nothing
 * more precise to say than the error's own message.
 */
export function describeConnectError(err: Error & { code?: string; cert?: { subjectaltname?: string } }, dialled: string): string | undefined {
  const code = err.code ?? '';
  const ours = CLIENT_SIDE[code];
  if (ours) return `TLS: ${ours} (${code})`;
  const theirs = Object.entries(AGENT_ALERTS).find(([alert]) => code.endsWith(alert));
  if (theirs) return `TLS: the agent refused our client certificate (tls.cert): ${theirs[1]} (${code})`;
  if (code === 'ERR_TLS_CERT_ALTNAME_INVALID') {
    const names = err.cert?.subjectaltname ? `it names ${err.cert.subjectaltname}` : 'it names no host';
    return `TLS: name mismatch: the agent's certificate does not name \`${dialled}\` (${names}); issue it with --san ${dialled} or set tls.server_name to a name it carries (${code})`;
  }
  if (dialled.startsWith('unix:')) {
    const path = dialled.slice(5);
    if (code === 'EACCES') return `permission denied on ${path}: the agent's socket is open only to the agent's user (and root); run as that user or reach it through ssh (agents.NAME.ssh + address: ${dialled})`;
    if (code === 'ENOENT') return `no agent socket at ${path} (is the agent running with --listen ${dialled}?)`;
    if (code === 'ECONNREFUSED') return `nothing accepts connections on ${path} (a stale socket: the agent is not running)`;
    if (code === 'ENOTSOCK' || code === 'ENOTDIR') return `${path} is not a socket`;
  }
  if (code === 'ECONNREFUSED') return `connection refused by ${dialled} (no agent listening there?)`;
  return undefined;
}

/** Our verification of the agent's certificate failed (OpenSSL's X509 verify codes, as Node names them). */
const CLIENT_SIDE: Record<string, string> = {
  UNABLE_TO_VERIFY_LEAF_SIGNATURE: "unknown CA: the agent's certificate is not signed by the CA in tls.ca",
  UNABLE_TO_GET_ISSUER_CERT_LOCALLY: "unknown CA: the agent's certificate is not signed by the CA in tls.ca",
  UNABLE_TO_GET_ISSUER_CERT: "unknown CA: the agent's certificate is not signed by the CA in tls.ca",
  SELF_SIGNED_CERT_IN_CHAIN: "unknown CA: the agent's certificate is not signed by the CA in tls.ca",
  DEPTH_ZERO_SELF_SIGNED_CERT: "unknown CA: the agent's certificate is self-signed and not tls.ca",
  CERT_SIGNATURE_FAILURE: "the agent's certificate signature does not verify",
  CERT_HAS_EXPIRED: "the agent's certificate has expired",
  CERT_NOT_YET_VALID: "the agent's certificate is not valid yet (check both clocks)",
  CERT_REVOKED: "the agent's certificate is revoked",
  INVALID_PURPOSE: "the agent's certificate is not for TLS servers (issue it with certs issue --server)",
};

/** TLS alerts the agent sends when it rejects our client certificate (suffixes of Node's error codes). */
const AGENT_ALERTS: Record<string, string> = {
  ALERT_UNKNOWN_CA: "not signed by the agent's CA (unknown CA)",
  ALERT_CERTIFICATE_EXPIRED: 'it has expired',
  ALERT_CERTIFICATE_REVOKED: 'it is revoked',
  ALERT_CERTIFICATE_REQUIRED: 'the agent requires one and none was sent',
  ALERT_BAD_CERTIFICATE: 'the agent rejected it (bad certificate)',
  ALERT_UNSUPPORTED_CERTIFICATE: 'the agent rejected it (unsupported certificate: is it a client certificate?)',
  ALERT_HANDSHAKE_FAILURE: 'the TLS handshake failed (no common cipher, or no client certificate)',
  ALERT_DECRYPT_ERROR: 'its signature did not verify',
};
