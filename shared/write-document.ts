/**
 * Write a document (`--output-json FILE`) where the operator says, as a shell's `>` would, and
 * atomically when that is a plain file: a reader never sees half a document.
 *
 * - a regular file, or nothing yet: a temporary file beside it, renamed over it;
 * - anything else — a symbolic link, `/dev/stdout`, `/dev/full`, a FIFO, a terminal — is written in
 *   place, through the link. Renaming over those replaced them: `--output-json /dev/full` as root
 *   turned the device into a JSON file, a link would have become a file, and `/dev/stdout` would have
 *   been replaced for the whole machine.
 * A FIFO nobody reads is refused (ENXIO) instead of blocking for ever.
 */
import { closeSync, constants, lstatSync, renameSync, writeSync, type Stats } from 'node:fs';
import { dirname } from 'node:path';
import { makePrivateDir, openForWriting, writePrivateFile } from './private-files.js';

export function writeDocument(path: string, text: string): void {
  const here = lstatOrNothing(path);
  if (here && !here.isFile()) return writeInPlace(path, text);
  makePrivateDir(dirname(path));
  const tmp = `${path}.${process.pid}.tmp`;
  writePrivateFile(tmp, text);
  renameSync(tmp, path);
}

function writeInPlace(path: string, text: string): void {
  const fd = openForWriting(path, constants.O_WRONLY | constants.O_CREAT | constants.O_TRUNC, 0o600);
  try {
    const data = Buffer.from(text);
    for (let at = 0; at < data.length;) at += writeSync(fd, data, at);
  } finally {
    closeSync(fd);
  }
}

function lstatOrNothing(path: string): Stats | undefined {
  try {
    return lstatSync(path);
  } catch {
    return undefined;
  }
}
