import type { CliIo } from '../../shared/cli-io.js';
import type { DistributedCliRequest } from './distributed-request.js';

/** What the bin file knows and run() cannot learn from argv/io: how parallelr was started (tests and the daemon pass their own). */
export interface RunContext {
  /** Name the program was invoked as; `ptasker…` selects ptasker mode. Default `parallelr`. */
  programName?: string;
  /** How to start this CLI again (daemon mode). Default: this Node, its exec args and script. */
  selfArgv?: string[];
  /** Our process id (registry, file names). Default process.pid. */
  pid?: number;
  /**
   * Runs `--nats`/`--pool`/`--resume` (controller/nats `runDistributedCli`). The bin hands it in,
   * so parallelr/ does not import nats/, which builds on parallelr's records and results writer.
   */
  runDistributed?: (req: DistributedCliRequest, io: CliIo) => Promise<number>;
}

/** What a run needs to know about the invocation. */
export interface RunTasksContext extends RunContext {
  pid: number;
  /** The command line as given (handed unchanged to a daemon child). */
  argv: string[];
  ptasker: boolean;
  name: string;
}
