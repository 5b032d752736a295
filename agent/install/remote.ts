import type { Client, SFTPWrapper } from 'ssh2';
import { TaskExit } from '../../shared/exit-codes.js';

export interface RemoteResult {
  code: number;
  stdout: string;
  stderr: string;
}

/** Run one command on the SSH host (through its login shell) and collect the result. */
export function remoteExec(client: Client, command: string): Promise<RemoteResult> {
  return new Promise((resolve, reject) => {
    client.exec(command, (err, ch) => {
      if (err) return reject(err);
      let stdout = '';
      let stderr = '';
      let code: number = TaskExit.UNREACHABLE;
      ch.on('data', (d: Buffer) => (stdout += d.toString()));
      ch.stderr.on('data', (d: Buffer) => (stderr += d.toString()));
      ch.on('exit', (c: number | null) => (code = c ?? TaskExit.UNREACHABLE));
      ch.on('close', (c?: number | null) => resolve({ code: typeof c === 'number' ? c : code, stdout, stderr }));
    });
  });
}

export function openSftp(client: Client): Promise<SFTPWrapper> {
  return new Promise((resolve, reject) => client.sftp((err, sftp) => (err ? reject(err) : resolve(sftp))));
}

export function sftpPut(sftp: SFTPWrapper, local: string, remote: string): Promise<void> {
  return new Promise((resolve, reject) => sftp.fastPut(local, remote, (err) => (err ? reject(err) : resolve())));
}

export function sftpWrite(sftp: SFTPWrapper, remote: string, data: string, mode = 0o640): Promise<void> {
  return new Promise((resolve, reject) => sftp.writeFile(remote, data, { mode }, (err) => (err ? reject(err) : resolve())));
}
