/**
 * NODE_EXTRA_CA_CERTS, deferred. The `tasker` and `parallelr` bins start Node through
 *
 *   #!/usr/bin/env -S -u NODE_EXTRA_CA_CERTS TASKER_NODE_EXTRA_CA_CERTS=${NODE_EXTRA_CA_CERTS} node
 *
 * because Node 20 reads and parses every certificate of NODE_EXTRA_CA_CERTS before it runs any
 * script: with a distribution's full bundle (/etc/ssl/certs/ca-certificates.crt) that is ~80 ms
 * of a ~125 ms start on the reference machine, paid by every run. The bin's first import calls
 * {@link restoreDeferredExtraCaCerts}, which puts the variable back for the commands we start.
 * Our own TLS connections do not need Node's default store to hold the certificates:
 *
 * - agents (gRPC over mTLS) are always checked against the CA file of the config (`tls.ca`), and
 *   an explicit CA replaces Node's default store, extra certificates and all;
 * - NATS connections that rely on the default store get the deferred certificates added by
 *   shared/nats/connection.ts ({@link deferredExtraCa}).
 *
 * Started as `node tasker.js` (no shebang), nothing is deferred and Node behaves as usual.
 */
import { readFileSync } from 'node:fs';

const MOVED = 'TASKER_NODE_EXTRA_CA_CERTS';
let deferredPath: string | undefined;

/** Undo the shebang: NODE_EXTRA_CA_CERTS back in process.env, remembered as not loaded by Node. */
export function restoreDeferredExtraCaCerts(env: NodeJS.ProcessEnv = process.env): void {
  const moved = env[MOVED];
  if (moved === undefined) return;
  delete env[MOVED];
  // env -S expands an unset variable to the empty string; an empty value means nothing to Node.
  if (moved === '') return;
  env.NODE_EXTRA_CA_CERTS = moved;
  deferredPath = moved;
}

/**
 * Node's default CAs plus the deferred extra certificates, as one PEM text for a `ca` option;
 * undefined when nothing was deferred (Node's default store is then already complete). An
 * unreadable file is skipped, as Node itself does (it only warns).
 */
export async function deferredExtraCa(): Promise<string | undefined> {
  if (deferredPath === undefined) return undefined;
  let extra: string;
  try {
    extra = readFileSync(deferredPath, 'utf8');
  } catch {
    return undefined;
  }
  const { rootCertificates } = await import('node:tls'); // not at start: it loads crypto
  return `${rootCertificates.join('\n')}\n${extra}`;
}
