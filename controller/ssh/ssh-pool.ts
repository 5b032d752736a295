import type { Client } from 'ssh2';
import { connectSsh, describeTarget, type SshTarget } from '../../shared/ssh/index.js';

/** sshd's default MaxSessions is 10; stay below it on one connection. */
const MAX_CHANNELS_PER_CONNECTION = 8;

interface PoolEntry {
  client: Promise<Client>;
  channels: number;
  waiters: (() => void)[];
  dead: boolean;
}

/**
 * One SSH connection per target (user@host:port), reused by every command to that host, opened
 * on first use and reopened after the link drops. Channels per connection are bounded.
 */
export class SshPool {
  private readonly entries = new Map<string, PoolEntry>();

  constructor(private readonly env: NodeJS.ProcessEnv = process.env) {}

  private key(t: SshTarget): string {
    return `${describeTarget({ ...t, port: t.port ?? 22 })}|${t.identity ?? ''}|${t.knownHosts ?? ''}`;
  }

  /** Borrow a channel slot on the target's connection; call `release` when the channel closed. */
  async acquire(target: SshTarget): Promise<{ client: Client; release: () => void }> {
    const key = this.key(target);
    let entry = this.entries.get(key);
    if (!entry || entry.dead) {
      const fresh: PoolEntry = { client: connectSsh(target, this.env), channels: 0, waiters: [], dead: false };
      entry = fresh;
      this.entries.set(key, fresh);
      fresh.client.then(
        (c) =>
          c.once('close', () => {
            fresh.dead = true;
            if (this.entries.get(key) === fresh) this.entries.delete(key);
          }),
        () => {
          fresh.dead = true;
          if (this.entries.get(key) === fresh) this.entries.delete(key);
        },
      );
    }
    const e = entry;
    const client = await e.client;
    while (e.channels >= MAX_CHANNELS_PER_CONNECTION) await new Promise<void>((r) => e.waiters.push(r));
    e.channels++;
    let released = false;
    return {
      client,
      release: () => {
        if (released) return;
        released = true;
        e.channels--;
        e.waiters.shift()?.();
      },
    };
  }

  async close(): Promise<void> {
    const all = [...this.entries.values()];
    this.entries.clear();
    await Promise.all(all.map((e) => e.client.then((c) => c.end(), () => undefined)));
  }
}
