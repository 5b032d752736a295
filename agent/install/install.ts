import { readFile, rm } from 'node:fs/promises';
import { basename, dirname, join } from 'node:path';
import { connectSsh, describeTarget, type SshTarget } from '../../shared/ssh/index.js';
import { shellQuote as q } from '../../shared/ssh/index.js';
import type { RemoteEndpoint } from '../../shared/ssh/index.js';
import { checkAgentHealthOverSsh } from './health-check.js';
import { buildAgentTarball } from './package-tarball.js';
import { openSftp, remoteExec, sftpPut, sftpWrite } from './remote.js';
import { SetupError } from '../../shared/errors/index.js';

export interface InstallOptions {
  target: SshTarget;
  /**
   * Agent TCP port on the host (with `tls`, default 50051; or with `insecureLoopback`). Without
   * either the agent listens on a Unix socket: `socket`.
   */
  listenPort?: number;
  /** With `tls`, default 0.0.0.0; with `insecureLoopback`, 127.0.0.1. */
  listenHost?: string;
  /**
   * The agent's Unix socket (the default transport): default /run/tasker-agent/agent.sock under
   * systemd (RuntimeDirectory=, 0700, the service user's), else PREFIX/run/agent.sock.
   */
  socket?: string;
  /** Plaintext TCP on loopback (`agent.insecure_loopback`): every local user can run tasks. */
  insecureLoopback?: boolean;
  /** Default /opt/tasker-agent as root, else ~/tasker-agent. */
  prefix?: string;
  /** Local files uploaded to PREFIX/etc/tls/ for mutual TLS. */
  tls?: { ca: string; cert: string; key: string };
  allowClients?: string[];
  /** Exec types the agent accepts (`agent.allow_exec`). Default {@link DEFAULT_INSTALL_ALLOW_EXEC}. */
  allowExec?: string[];
  /** Install the opt-in sandboxing drop-in (deploy/tasker-agent.service.d/hardening.conf); systemd only. */
  hardening?: boolean;
  /** systemd service user (created when missing). Default tasker-agent. */
  serviceUser?: string;
  /** The package root to ship (dist/ must be built). */
  root: string;
  env?: NodeJS.ProcessEnv;
  log: (line: string) => void;
}

export interface InstallResult {
  prefix: string;
  how: 'systemd' | 'nohup';
  /** What the agent listens on: `unix:PATH` or HOST:PORT. */
  listen: string;
  version: string;
  pid?: number;
}

/**
 * What an installed agent runs unless `--allow-exec` says otherwise: the privilege wrappers and
 * `local` (argv, no shell). `shell` (/bin/bash -c "…") must be asked for.
 */
export const DEFAULT_INSTALL_ALLOW_EXEC: readonly string[] = ['pbrun', 'p7s', 'wwrs', 'local'];

/** Where the installer puts the hardening drop-in, and the first line that marks it as the installer's. */
export const HARDENING_DROP_IN = '/etc/systemd/system/tasker-agent.service.d/hardening.conf';
const HARDENING_MARK = '# Written by `tasker-agent install --hardening`; an install without --hardening removes this file.';

/** Where the systemd unit's RuntimeDirectory= puts the agent's socket. */
export const SYSTEMD_SOCKET = '/run/tasker-agent/agent.sock';

/**
 * Install or upgrade tasker-agent on a host over SSH: upload the package over SFTP, unpack it
 * into PREFIX/app, write PREFIX/etc/agent.yaml, start it (systemd unit when the host runs systemd
 * and we are root; otherwise `setsid nohup` with PREFIX/run/agent.pid), then check its health
 * through an SSH tunnel. By default the agent listens on a Unix socket only its user can open.
 */
export async function installAgent(opts: InstallOptions): Promise<InstallResult> {
  const where = describeTarget(opts.target);
  const say = opts.log;
  const tarball = await buildAgentTarball(opts.root);
  const client = await connectSsh(opts.target, opts.env);
  try {
    const probe = await remoteExec(
      client,
      'id -u; id -un; command -v node || echo; node --version 2>/dev/null || echo; ' +
        '{ [ -d /run/systemd/system ] && command -v systemctl >/dev/null 2>&1 && echo systemd; } || echo none; echo "$HOME"',
    );
    const [uid, user, node, nodeVersion, init, home] = probe.stdout.split('\n').map((s) => s.trim());
    if (!node) throw new SetupError(`${where}: node is not on PATH; install Node.js 20 or newer there first`);
    const major = Number(/^v(\d+)/.exec(nodeVersion ?? '')?.[1] ?? 0);
    if (major < 20) throw new SetupError(`${where}: ${node} is ${nodeVersion || 'unknown'}; tasker-agent needs Node.js 20 or newer`);
    const root = uid === '0';
    const prefix = opts.prefix ?? (root ? '/opt/tasker-agent' : `${home}/tasker-agent`);
    const version = (JSON.parse(await readFile(join(opts.root, 'package.json'), 'utf8')) as { version: string }).version;
    say(`${where}: node ${nodeVersion} at ${node}; installing tasker-agent ${version} into ${prefix}`);
    const systemd = init === 'systemd' && root;
    if (opts.hardening && !systemd) {
      throw new SetupError(
        `${where}: --hardening adds a drop-in to the systemd unit, and this install gets no unit ` +
          `(${init === 'systemd' ? `we are not root (${user})` : 'no systemd on this host'}); drop --hardening or install as root on a systemd host`,
      );
    }

    const P = q(prefix);
    const mk = await remoteExec(client, `mkdir -p ${P}/etc/tls ${P}/log ${P}/run ${P}/releases && chmod 0750 ${P}/etc && chmod 0700 ${P}/run ${P}/log`);
    if (mk.code !== 0) throw new SetupError(`${where}: cannot create ${prefix}: ${mk.stderr.trim()}`);
    const sftp = await openSftp(client);
    const remoteTgz = `${prefix}/releases/tasker-agent-${version}.tgz`;
    await sftpPut(sftp, tarball, remoteTgz);
    say(`${where}: uploaded ${basename(tarball)} → ${remoteTgz}`);
    const unpack = await remoteExec(
      client,
      `set -e; rm -rf ${P}/app.new ${P}/app.old; mkdir ${P}/app.new; tar -xzf ${q(remoteTgz)} -C ${P}/app.new; ` +
        `if [ -e ${P}/app ]; then mv ${P}/app ${P}/app.old; fi; mv ${P}/app.new ${P}/app; rm -rf ${P}/app.old`,
    );
    if (unpack.code !== 0) throw new SetupError(`${where}: unpacking failed: ${unpack.stderr.trim()}`);
    // The process launcher is built on the host (its own architecture); without a C compiler the
    // agent uses Node's spawn, and the build script says so.
    const launcher = await remoteExec(client, `bash ${P}/app/scripts/build-native.sh`);
    say(`${where}: process launcher ${launcher.code === 0 && !launcher.stderr.trim() ? 'built on the host' : `not built (${launcher.stderr.trim() || `exit ${launcher.code}`}); the agent uses Node's spawn`}`);

    const socket = opts.tls || opts.insecureLoopback ? undefined : (opts.socket ?? (systemd ? SYSTEMD_SOCKET : `${prefix}/run/agent.sock`));
    const port = opts.listenPort ?? 50051;
    const listen = socket ? `unix:${socket}` : `${opts.listenHost ?? (opts.tls ? '0.0.0.0' : '127.0.0.1')}:${port}`;
    const lines = ['agent:', `  listen: "${listen}"`];
    if (opts.insecureLoopback && !opts.tls) lines.push('  insecure_loopback: true');
    if (opts.tls) {
      for (const [name, local] of [['ca.crt', opts.tls.ca], ['agent.crt', opts.tls.cert], ['agent.key', opts.tls.key]] as const) {
        await sftpWrite(sftp, `${prefix}/etc/tls/${name}`, await readFile(local, 'utf8'), name.endsWith('.key') ? 0o600 : 0o644);
      }
      lines.push('  tls:', `    ca: ${prefix}/etc/tls/ca.crt`, `    cert: ${prefix}/etc/tls/agent.crt`, `    key: ${prefix}/etc/tls/agent.key`);
    }
    if (opts.allowClients?.length) lines.push(`  allow_clients: [${opts.allowClients.join(', ')}]`);
    const allowExec = opts.allowExec ?? DEFAULT_INSTALL_ALLOW_EXEC;
    lines.push(`  allow_exec: [${allowExec.join(', ')}]`);
    await sftpWrite(sftp, `${prefix}/etc/agent.yaml`, `${lines.join('\n')}\n`);
    sftp.end();
    const how = opts.tls ? 'mutual TLS' : socket ? 'Unix socket, only its user (and root) can connect' : 'plaintext loopback: every local user can connect';
    say(`${where}: wrote ${prefix}/etc/agent.yaml (listen ${listen}, ${how}; exec types ${allowExec.join(', ')})`);

    let started: InstallResult['how'];
    let pid: number | undefined;
    if (systemd) {
      started = 'systemd';
      const svcUser = opts.serviceUser ?? 'tasker-agent';
      // An existing user keeps its own primary group (e.g. nobody:nogroup); a new one gets its own.
      const setup = await remoteExec(
        client,
        `set -e; id -u ${q(svcUser)} >/dev/null 2>&1 || useradd --system --user-group --home-dir ${P} --shell /usr/sbin/nologin ${q(svcUser)}; ` +
          `g=$(id -gn ${q(svcUser)}); chown -R ${q(svcUser)}:"$g" ${P}/log ${P}/run; chgrp -R "$g" ${P}/etc; chmod -R g+rX ${P}/etc; echo "$g"`,
      );
      const svcGroup = setup.stdout.trim().split('\n').pop();
      if (setup.code !== 0 || !svcGroup) throw new SetupError(`${where}: cannot set up user ${svcUser}: ${setup.stderr.trim()}`);
      const unitTemplate = await readFile(join(opts.root, 'deploy', 'tasker-agent.service'), 'utf8');
      const unit = unitTemplate
        .replaceAll('@USER@', svcUser)
        .replaceAll('@GROUP@', svcGroup)
        .replaceAll('@PREFIX@', prefix)
        .replaceAll('@NODE@', node);
      const sftp2 = await openSftp(client);
      await sftpWrite(sftp2, '/etc/systemd/system/tasker-agent.service', unit, 0o644);
      sftp2.end();
      await placeHardening(client, opts, prefix, where);
      const start = await remoteExec(client, 'systemctl daemon-reload && systemctl enable tasker-agent && systemctl restart tasker-agent');
      if (start.code !== 0) throw new SetupError(`${where}: systemctl failed: ${start.stderr.trim()}`);
      say(`${where}: systemd unit tasker-agent.service installed, enabled and (re)started as user ${svcUser}`);
    } else {
      started = 'nohup';
      say(
        init === 'systemd'
          ? `${where}: systemd is present but we are not root (${user}); starting the agent with setsid nohup instead (no restart on failure or reboot; install as root for the systemd unit)`
          : `${where}: no systemd on this host; starting the agent with setsid nohup (pidfile ${prefix}/run/agent.pid, log ${prefix}/log/agent.log; it does not restart on failure or reboot)`,
      );
      const pidfile = `${P}/run/agent.pid`;
      const start = await remoteExec(
        client,
        // Stop a previous nohup agent (SIGTERM drains; up to 40 s), then start the new one detached.
        `if [ -f ${pidfile} ] && kill -0 "$(cat ${pidfile})" 2>/dev/null; then old=$(cat ${pidfile}); kill -TERM "$old"; ` +
          `i=0; while kill -0 "$old" 2>/dev/null && [ $i -lt 400 ]; do sleep 0.1; i=$((i+1)); done; fi; ` +
          // A simple command (not an `a && b` list) goes to the background, so $! is the agent itself
          // and no subshell keeps this channel's stdout open.
          // The log is the agent's own (0600, whatever the login's umask).
          `cd ${P} || exit 1; umask 077; touch log/agent.log; chmod 0600 log/agent.log; setsid nohup ${q(node)} ${P}/app/dist/agent/cli/tasker-agent.js serve --config ${P}/etc/agent.yaml ` +
          `>> ${P}/log/agent.log 2>&1 < /dev/null & echo $! > ${pidfile}; cat ${pidfile}`,
      );
      pid = Number(start.stdout.trim());
      if (start.code !== 0 || !Number.isInteger(pid)) throw new SetupError(`${where}: could not start the agent: ${start.stderr.trim()}`);
      say(`${where}: agent started, pid ${pid}`);
    }

    let healthVersion: string;
    try {
      const remote: RemoteEndpoint = socket ? { socket } : { host: '127.0.0.1', port };
      healthVersion = opts.tls ? await checkTcpOnly(client, port) : await checkAgentHealthOverSsh(client, remote);
    } catch (err) {
      const tail = await remoteExec(client, started === 'systemd' ? 'journalctl -u tasker-agent -n 20 --no-pager' : `tail -n 20 ${P}/log/agent.log`);
      throw new SetupError(`${where}: ${(err as Error).message}\n${tail.stdout}`);
    }
    say(`${where}: ${opts.tls ? 'port open (mutual TLS; check with `tasker --agent`)' : `healthy (SERVING), version ${healthVersion}`}`);
    const result: InstallResult = { prefix, how: started, version, listen };
    if (pid !== undefined) result.pid = pid;
    return result;
  } finally {
    client.end();
    await rm(dirname(tarball), { recursive: true, force: true });
  }
}

/**
 * `--hardening`: write the drop-in (placeholders filled, marked as the installer's). Without it,
 * remove a drop-in an earlier `--hardening` wrote, so the unit is back to its unrestricted default;
 * one placed by hand (not marked) is kept, and said so.
 */
async function placeHardening(client: import('ssh2').Client, opts: InstallOptions, prefix: string, where: string): Promise<void> {
  const dir = dirname(HARDENING_DROP_IN);
  if (opts.hardening) {
    const template = await readFile(join(opts.root, 'deploy', 'tasker-agent.service.d', 'hardening.conf'), 'utf8');
    const made = await remoteExec(client, `mkdir -p ${q(dir)}`);
    if (made.code !== 0) throw new SetupError(`${where}: cannot create ${dir}: ${made.stderr.trim()}`);
    const sftp = await openSftp(client);
    await sftpWrite(sftp, HARDENING_DROP_IN, `${HARDENING_MARK}\n${template.replaceAll('@PREFIX@', prefix)}`, 0o644);
    sftp.end();
    opts.log(`${where}: hardening drop-in ${HARDENING_DROP_IN} installed: tasks see a read-only /etc, /usr and homes and a private /tmp (docs/agent.md)`);
    return;
  }
  const found = await remoteExec(client, `[ -f ${q(HARDENING_DROP_IN)} ] && head -n 1 ${q(HARDENING_DROP_IN)} || true`);
  const first = found.stdout.split('\n')[0]!.trim();
  if (first === HARDENING_MARK) {
    const removed = await remoteExec(client, `rm -f ${q(HARDENING_DROP_IN)}`);
    if (removed.code !== 0) throw new SetupError(`${where}: cannot remove ${HARDENING_DROP_IN}: ${removed.stderr.trim()}`);
    opts.log(`${where}: removed the hardening drop-in ${HARDENING_DROP_IN} (install with --hardening to keep it)`);
  } else if (first !== '') {
    opts.log(`${where}: kept ${HARDENING_DROP_IN}: it was not written by the installer; it restricts every task the agent runs`);
  }
}

/** With TLS we hold no client certificate here: check that the port accepts connections. */
async function checkTcpOnly(client: import('ssh2').Client, port: number): Promise<string> {
  const until = Date.now() + 20_000;
  while (Date.now() < until) {
    const ok = await new Promise<boolean>((resolve) =>
      client.forwardOut('127.0.0.1', 0, '127.0.0.1', port, (err, ch) => {
        if (err) return resolve(false);
        ch.close();
        resolve(true);
      }),
    );
    if (ok) return 'n/a';
    await new Promise((r) => setTimeout(r, 300));
  }
  throw new SetupError(`nothing listens on port ${port} after 20 s`);
}
