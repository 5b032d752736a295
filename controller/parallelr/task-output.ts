import { dirname } from 'node:path';
import type { TaskRecord } from './types.js';
import { makePrivateDir } from '../../shared/private-files.js';
import { openRecordFile } from '../../shared/record-file.js';

/** The last `limit` characters of a stream plus how many bytes it had in all. */
export interface OutputTail {
  text: string;
  totalBytes: number;
}

/** Keeps only the last `limit` characters of a stream, whatever it prints. */
export class TailBuffer {
  private text = '';
  private bytes = 0;
  constructor(private readonly limit: number) {}
  push(chunk: Buffer | string): void {
    const s = typeof chunk === 'string' ? chunk : chunk.toString('utf8');
    this.bytes += typeof chunk === 'string' ? Buffer.byteLength(chunk) : chunk.length;
    if (this.limit <= 0) return;
    this.text = s.length >= this.limit ? s.slice(-this.limit) : (this.text + s).slice(-this.limit);
  }
  result(): OutputTail {
    return { text: this.text, totalBytes: this.bytes };
  }
}

/** The TaskResults file (`--log-task-output`): one framed block per finished task. */
export interface TaskOutputWriter {
  readonly path: string;
  write(record: TaskRecord, output: { stdout: OutputTail; stderr: OutputTail }): void;
  close(): void;
}

/** Opens the TaskResults file; `parameters` are the command-line lines repeated in every block. */
export function openTaskOutputWriter(path: string, parameters: string[], capture: number, onLost: (problem: string) => void): TaskOutputWriter {
  makePrivateDir(dirname(path));
  const file = openRecordFile(path, onLost);
  const stream = (name: string, tail: OutputTail) => {
    if (tail.totalBytes === 0) return `${name} (no output)\n`;
    const shown = tail.totalBytes > Buffer.byteLength(tail.text) ? `showing last ${capture} characters of ${tail.totalBytes} bytes` : `${tail.text.length} characters`;
    return `${name} (${shown}):\n${tail.text}${tail.text.endsWith('\n') ? '' : '\n'}`;
  };
  return {
    path,
    write(r, out) {
      const block =
        '='.repeat(80) + '\n' +
        `Task: ${r.task_file ?? '(arguments only)'}\n` +
        (r.arguments.length ? `Arguments: ${JSON.stringify(r.arguments)}\n` : '') +
        `Worker: ${r.worker ?? '-'}\n` +
        `Command: ${r.command}\n\n` +
        'Command-Line Parameters:\n' + parameters.map((p) => `  ${p}\n`).join('') + '\n' +
        'Execution Results:\n' +
        `  Status: ${r.status}\n` +
        `  Exit Code: ${r.exit_code ?? '-'}\n` +
        `  Duration: ${r.duration_seconds.toFixed(2)}s\n` +
        `  Start: ${r.start_time ?? '-'}\n` +
        `  End: ${r.end_time ?? '-'}\n\n` +
        stream('STDOUT', out.stdout) + '\n' +
        stream('STDERR', out.stderr) +
        (r.error_message ? `\nERROR: ${r.error_message}\n` : '') +
        '\n';
      file.write(block);
    },
    close() {
      file.close();
    },
  };
}
