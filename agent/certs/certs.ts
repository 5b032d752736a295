import { execFile } from 'node:child_process';
import { existsSync } from 'node:fs';
import { chmod, unlink, writeFile } from 'node:fs/promises';
import { isIP } from 'node:net';
import { join } from 'node:path';
import { promisify } from 'node:util';
import { SetupError } from '../../shared/errors/index.js';
import { makeDirs } from '../../shared/make-dirs.js';

const run = promisify(execFile);

export interface IssueOptions {
  dir: string;
  /** Certificate CN: the agent's or controller's name (checked by --allow-client). */
  name: string;
  /** Extra subjectAltNames: DNS names or IP addresses. The name itself is always a DNS SAN. */
  sans?: string[];
  /** 'server' (agent), 'client' (controller) or both (default). */
  usage?: 'server' | 'client' | 'both';
  days?: number;
}

const NAME_RE = /^[A-Za-z0-9][A-Za-z0-9._-]{0,63}$/;

async function openssl(args: string[]): Promise<void> {
  try {
    await run('openssl', args, { timeout: 60_000 });
  } catch (err) {
    const e = err as NodeJS.ErrnoException & { stderr?: string };
    if (e.code === 'ENOENT') throw new SetupError('openssl is not installed (needed by `tasker-agent certs`)');
    throw new SetupError(`openssl ${args[0]} failed: ${(e.stderr ?? e.message).trim()}`);
  }
}

/** Create `ca.key` (0600) and `ca.crt` in `dir`: the CA that signs agents' and controllers' certificates. */
export async function initCa(dir: string, days = 3650): Promise<{ cert: string; key: string }> {
  const key = join(dir, 'ca.key');
  const cert = join(dir, 'ca.crt');
  if (existsSync(key) || existsSync(cert)) throw new SetupError(`${dir} already holds a CA (ca.key/ca.crt); not overwriting`);
  makeDirs(dir, 0o700);
  await openssl([
    'req', '-x509', '-newkey', 'ec', '-pkeyopt', 'ec_paramgen_curve:prime256v1', '-nodes',
    '-keyout', key, '-out', cert, '-days', String(days), '-subj', '/CN=tasker-ca',
    '-addext', 'basicConstraints=critical,CA:TRUE', '-addext', 'keyUsage=critical,keyCertSign,cRLSign',
  ]);
  await chmod(key, 0o600);
  return { cert, key };
}

/** Issue `NAME.key` (0600) and `NAME.crt`, signed by the CA in `dir`. */
export async function issueCert(opts: IssueOptions): Promise<{ cert: string; key: string }> {
  const { dir, name } = opts;
  if (!NAME_RE.test(name)) {
    throw new SetupError(`--name must be letters, digits, '.', '_' or '-' (at most 64), got \`${name}\``);
  }
  const caKey = join(dir, 'ca.key');
  const caCert = join(dir, 'ca.crt');
  if (!existsSync(caKey) || !existsSync(caCert)) {
    throw new SetupError(`no CA in ${dir}: run \`tasker-agent certs init --dir ${dir}\` first`);
  }
  const key = join(dir, `${name}.key`);
  const cert = join(dir, `${name}.crt`);
  const csr = join(dir, `${name}.csr`);
  const ext = join(dir, `${name}.ext`);
  const sans = new Set([name, ...(opts.sans ?? [])]);
  const sanText = [...sans].map((s) => (isIP(s) ? `IP:${s}` : `DNS:${s}`)).join(',');
  const usage = opts.usage ?? 'both';
  const eku = usage === 'server' ? 'serverAuth' : usage === 'client' ? 'clientAuth' : 'serverAuth,clientAuth';
  await writeFile(
    ext,
    `basicConstraints=critical,CA:FALSE\nkeyUsage=critical,digitalSignature,keyEncipherment\n` +
      `extendedKeyUsage=${eku}\nsubjectAltName=${sanText}\n`,
  );
  try {
    await openssl([
      'req', '-new', '-newkey', 'ec', '-pkeyopt', 'ec_paramgen_curve:prime256v1', '-nodes',
      '-keyout', key, '-out', csr, '-subj', `/CN=${name}`,
    ]);
    await chmod(key, 0o600);
    await openssl([
      'x509', '-req', '-in', csr, '-CA', caCert, '-CAkey', caKey, '-CAcreateserial',
      '-out', cert, '-days', String(opts.days ?? 825), '-extfile', ext, '-sha256',
    ]);
  } finally {
    await unlink(csr).catch(() => undefined);
    await unlink(ext).catch(() => undefined);
  }
  return { cert, key };
}
