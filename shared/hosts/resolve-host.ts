import { lookup } from 'node:dns/promises';
import { isIP } from 'node:net';
import { runProcess } from '../exec/index.js';
import { findBinary } from '../exec/index.js';
import { formatTemplateElement } from '../exec/index.js';

export type Resolution =
  | { ok: true; address?: string; fqdn?: string }
  | { ok: false; stage: 'dns' | 'resolver'; message: string };

export interface ResolveOptions {
  dnsTimeoutMs: number;
  /** Fallback resolver argv with `{hostname}`; its stdout's first word is the FQDN. */
  resolverCommand?: readonly string[];
  resolverTimeoutMs: number;
  env: NodeJS.ProcessEnv;
}

/** /etc/hosts and DNS (getaddrinfo) with a time bound, then the configured fallback resolver. */
export async function resolveHost(hostname: string, opts: ResolveOptions): Promise<Resolution> {
  if (isIP(hostname)) return { ok: true, address: hostname };
  const dns = await lookupWithTimeout(hostname, opts.dnsTimeoutMs);
  if (dns.address !== undefined) return { ok: true, address: dns.address };
  if (!opts.resolverCommand || opts.resolverCommand.length === 0) {
    return { ok: false, stage: 'dns', message: `cannot resolve '${hostname}': ${dns.reason}` };
  }
  const argv = opts.resolverCommand.map((e) => formatTemplateElement(e, { hostname }));
  const program = argv[0]!;
  if (!findBinary(program, opts.env['PATH'])) {
    return {
      ok: false,
      stage: 'resolver',
      message: `cannot resolve '${hostname}' (${dns.reason}), and the fallback resolver '${program}' is not on PATH`,
    };
  }
  const r = await runProcess({ argv, env: opts.env, timeoutMs: opts.resolverTimeoutMs, captureLimit: 64 * 1024 });
  const fqdn = r.stdout.trim().split(/\s+/)[0] ?? '';
  if (r.exitCode !== 0 || fqdn === '') {
    const why = r.timedOut
      ? `timed out after ${opts.resolverTimeoutMs / 1000} s`
      : r.exitCode !== 0
        ? `exit ${r.exitCode}${lastLine(r.stderr) ? `: ${lastLine(r.stderr)}` : ''}`
        : 'printed nothing';
    return {
      ok: false,
      stage: 'resolver',
      message: `cannot resolve '${hostname}' (${dns.reason}); fallback resolver \`${argv.join(' ')}\` ${why}`,
    };
  }
  return { ok: true, fqdn };
}

async function lookupWithTimeout(hostname: string, timeoutMs: number): Promise<{ address?: string; reason: string }> {
  let timer: NodeJS.Timeout | undefined;
  const timeout = new Promise<{ reason: string }>((resolve) => {
    timer = setTimeout(() => resolve({ reason: `DNS lookup timed out after ${timeoutMs / 1000} s` }), timeoutMs);
  });
  const query = lookup(hostname).then(
    (a) => ({ address: a.address, reason: '' }),
    (e: NodeJS.ErrnoException) => ({
      reason: e.code === 'ENOTFOUND' ? 'no such host in /etc/hosts or DNS' : `DNS lookup failed (${e.code ?? e.message})`,
    }),
  );
  try {
    return await Promise.race([query, timeout]);
  } finally {
    clearTimeout(timer);
  }
}

export function lastLine(text: string): string {
  const lines = text.trim().split('\n');
  return lines[lines.length - 1]!.trim().slice(0, 200);
}
