import { chmod, lstat, mkdir, unlink } from 'node:fs/promises';
import { connect } from 'node:net';
import { dirname } from 'node:path';
import { ConfigError } from '../../shared/errors/index.js';

/**
 * Make `path` safe to bind before the agent listens on it. Access to the socket is access to the
 * agent, so its directory must be reachable by the agent's user only: it is created 0700 when
 * missing; an existing one must be a real directory (not a symlink), owned by this user, with no
 * group or other permission bits. A socket file left by an agent that died is removed; a live one
 * (another agent answers) or any other file at the path is refused.
 */
export async function prepareUnixSocket(path: string): Promise<void> {
  const dir = dirname(path);
  const uid = process.getuid?.() ?? 0;
  let st = await lstatOrUndefined(dir);
  if (!st) {
    try {
      await mkdir(dir, { mode: 0o700 });
    } catch (err) {
      throw new ConfigError(`cannot create the socket directory ${dir}: ${(err as Error).message}`);
    }
    await chmod(dir, 0o700); // mkdir's mode is cut by the umask; the directory must be exactly 0700
    st = (await lstatOrUndefined(dir))!;
  }
  if (st.isSymbolicLink()) throw new ConfigError(`socket directory ${dir} is a symbolic link; give the real directory`);
  if (!st.isDirectory()) throw new ConfigError(`socket directory ${dir} is not a directory`);
  if (st.uid !== uid) {
    throw new ConfigError(`socket directory ${dir} belongs to uid ${st.uid}, not to the agent's user (uid ${uid}); use a directory of the agent's own (e.g. systemd RuntimeDirectory=)`);
  }
  if ((st.mode & 0o077) !== 0) {
    const mode = (st.mode & 0o777).toString(8).padStart(4, '0');
    throw new ConfigError(`socket directory ${dir} is mode ${mode}: other users could reach the agent; \`chmod 700 ${dir}\``);
  }
  const existing = await lstatOrUndefined(path);
  if (!existing) return;
  if (!existing.isSocket()) throw new ConfigError(`${path} exists and is not a socket; remove it or choose another path`);
  if (await answers(path)) throw new ConfigError(`another process is listening on ${path} (is an agent already running?)`);
  await unlink(path); // stale: its agent is gone
}

/** Close the socket to everyone but the agent's user (the directory already is). */
export async function restrictSocketFile(path: string): Promise<void> {
  await chmod(path, 0o600);
}

/** Remove the socket file at shutdown (grpc-js leaves it behind). */
export async function removeSocketFile(path: string): Promise<void> {
  try {
    if ((await lstat(path)).isSocket()) await unlink(path);
  } catch {
    // already gone
  }
}

async function lstatOrUndefined(path: string) {
  try {
    return await lstat(path);
  } catch (err) {
    if ((err as NodeJS.ErrnoException).code === 'ENOENT') return undefined;
    throw new ConfigError(`cannot inspect ${path}: ${(err as Error).message}`);
  }
}

/** Whether something accepts connections on the socket. */
function answers(path: string): Promise<boolean> {
  return new Promise((resolve) => {
    const socket = connect({ path });
    socket.once('connect', () => {
      socket.destroy();
      resolve(true);
    });
    socket.once('error', () => resolve(false));
  });
}
