/**
 * A file a run appends its records to as it goes: tasker's log, parallelr's main log, results rows
 * and task output. A write that fails (the disk filled up, an I/O error) must not end the run — its
 * tasks are production changes half done. The file is closed where it stands, `onLost` is told once
 * which file and why, and later writes are dropped; the run carries on with its own exit code
 * (docs/hostile-input.md, "Records that cannot be written").
 */
import { closeSync, writeSync } from 'node:fs';
import { firstLineOf } from './text/index.js';
import { openPrivateFile } from './private-files.js';

export interface RecordFile {
  readonly path: string;
  /** Whether a write failed: the file ends where it stood then. */
  readonly lost: boolean;
  write(text: string): void;
  close(): void;
}

/**
 * Open `path` for appending (private, as every record): failing to open it throws, as before the
 * run starts that is the caller's to report. `onLost` gets one line such as
 * `cannot write /var/log/x.log (ENOSPC: no space left on device, write): the file ends here; the run carries on`.
 */
export function openRecordFile(path: string, onLost: (problem: string) => void): RecordFile {
  let fd: number | undefined = openPrivateFile(path, 'a');
  let lost = false;
  return {
    path,
    get lost() {
      return lost;
    },
    write(text) {
      if (fd === undefined) return;
      try {
        writeSync(fd, text);
      } catch (e) {
        lost = true;
        closeQuietly(fd);
        fd = undefined;
        onLost(`cannot write ${path} (${firstLineOf(e)}): the file ends here; the run carries on`);
      }
    },
    close() {
      if (fd !== undefined) closeQuietly(fd);
      fd = undefined;
    },
  };
}

function closeQuietly(fd: number): void {
  try {
    closeSync(fd);
  } catch {
    // Closing a file on a failing disk can fail too; it is closed all the same.
  }
}
