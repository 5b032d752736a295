import { createHmac } from 'node:crypto';

/** One usable known_hosts line. */
interface KnownHostEntry {
  patterns: string[];
  hashed?: { salt: Buffer; hash: Buffer };
  keyType: string;
  key: Buffer;
  revoked: boolean;
}

/** How ssh names a host in known_hosts: `host` on port 22, `[host]:port` otherwise. */
export function knownHostsName(host: string, port: number): string {
  return port === 22 ? host : `[${host}]:${port}`;
}

/** Parse known_hosts text (plain or hashed names, patterns, @revoked; @cert-authority lines are ignored). */
export function parseKnownHosts(text: string): KnownHostEntry[] {
  const entries: KnownHostEntry[] = [];
  for (const raw of text.split('\n')) {
    const line = raw.trim();
    if (!line || line.startsWith('#')) continue;
    const fields = line.split(/\s+/);
    let revoked = false;
    if (fields[0]!.startsWith('@')) {
      const marker = fields.shift()!;
      if (marker === '@cert-authority') continue;
      revoked = marker === '@revoked';
    }
    const [hosts, keyType, keyB64] = fields;
    if (!hosts || !keyType || !keyB64) continue;
    const entry: KnownHostEntry = { patterns: [], keyType, key: Buffer.from(keyB64, 'base64'), revoked };
    if (hosts.startsWith('|1|')) {
      const [, , salt, hash] = hosts.split('|');
      if (!salt || !hash) continue;
      entry.hashed = { salt: Buffer.from(salt, 'base64'), hash: Buffer.from(hash, 'base64') };
    } else entry.patterns = hosts.split(',');
    entries.push(entry);
  }
  return entries;
}

function globToRegExp(pattern: string): RegExp {
  const body = pattern.replace(/[.+^${}()|[\]\\]/g, '\\$&').replace(/\*/g, '.*').replace(/\?/g, '.');
  return new RegExp(`^${body}$`, 'i');
}

function matches(entry: KnownHostEntry, name: string): boolean {
  if (entry.hashed) {
    const h = createHmac('sha1', entry.hashed.salt).update(name).digest();
    return h.equals(entry.hashed.hash);
  }
  let hit = false;
  for (const p of entry.patterns) {
    if (p.startsWith('!')) {
      if (globToRegExp(p.slice(1)).test(name)) return false;
    } else if (globToRegExp(p).test(name)) hit = true;
  }
  return hit;
}

/** The keys known_hosts lists for `host:port` (revoked keys separately). */
export function lookupHostKeys(entries: KnownHostEntry[], host: string, port: number): { keys: { type: string; key: Buffer }[]; revoked: Buffer[] } {
  const name = knownHostsName(host, port);
  const keys: { type: string; key: Buffer }[] = [];
  const revoked: Buffer[] = [];
  for (const e of entries) {
    if (!matches(e, name)) continue;
    if (e.revoked) revoked.push(e.key);
    else keys.push({ type: e.keyType, key: e.key });
  }
  return { keys, revoked };
}

/** ssh2 host-key algorithm names for the key types known_hosts lists (so negotiation picks one we can verify). */
export function hostKeyAlgorithms(types: string[]): string[] {
  const out: string[] = [];
  for (const t of types) {
    if (t === 'ssh-rsa') out.push('rsa-sha2-512', 'rsa-sha2-256', 'ssh-rsa');
    else out.push(t);
  }
  return [...new Set(out)];
}
