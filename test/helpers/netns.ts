/**
 * Network namespaces as separate test hosts (`ip netns`, needs root): each namespace has its own
 * loopback and its own address on a veth link to the controller's namespace. Everything created
 * here is recorded and removed by `destroy()`: only our own namespaces, by the names we gave them.
 */
import { execFile } from 'node:child_process';
import { promisify } from 'node:util';

const run = promisify(execFile);

/** What a test needs to run and why, when namespaces cannot be made here; undefined when they can. */
export async function netnsUnavailable(): Promise<string | undefined> {
  const why = 'this test needs network namespaces (`ip netns`, from iproute2) and root to create them';
  if (process.getuid?.() !== 0) return `${why}; run it as root (CI runs as root)`;
  try {
    await run('ip', ['netns', 'list']);
  } catch (e) {
    return `${why}; \`ip netns list\` failed: ${(e as Error).message.trim()} (install iproute2: apt-get install -y iproute2)`;
  }
  return undefined;
}

export class NetnsLab {
  private readonly namespaces: string[] = [];
  private links = 0;
  /** Short unique tag: namespace and interface names (≤ 15 chars) carry it. */
  readonly tag = `tk${process.pid % 100000}${Math.floor(Math.random() * 100)}`;

  /** Create namespace `<tag>-<name>` with loopback up; returns its name. */
  async host(name: string): Promise<string> {
    const ns = `${this.tag}-${name}`;
    await run('ip', ['netns', 'add', ns]);
    this.namespaces.push(ns);
    await run('ip', ['-n', ns, 'link', 'set', 'lo', 'up']);
    return ns;
  }

  /** A veth link between two namespaces with the given `ADDR/PREFIX` on each end. */
  async link(a: string, addrA: string, b: string, addrB: string): Promise<void> {
    const n = this.links++;
    const ifA = `${this.tag}${n}a`;
    const ifB = `${this.tag}${n}b`;
    await run('ip', ['link', 'add', ifA, 'netns', a, 'type', 'veth', 'peer', 'name', ifB, 'netns', b]);
    await run('ip', ['-n', a, 'addr', 'add', addrA, 'dev', ifA]);
    await run('ip', ['-n', b, 'addr', 'add', addrB, 'dev', ifB]);
    await run('ip', ['-n', a, 'link', 'set', ifA, 'up']);
    await run('ip', ['-n', b, 'link', 'set', ifB, 'up']);
  }

  /** argv that runs `argv` inside namespace `ns` (ip execs it: the PID is the command's). */
  exec(ns: string, argv: string[]): string[] {
    return ['ip', 'netns', 'exec', ns, ...argv];
  }

  /** Delete our namespaces (their veth ends go with them). Processes must be stopped first. */
  async destroy(): Promise<void> {
    for (const ns of this.namespaces.splice(0).reverse()) {
      await run('ip', ['netns', 'del', ns]).catch(() => undefined);
    }
  }
}
