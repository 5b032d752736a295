/** What the bin file knows and run() cannot learn from argv/io: how parallelr was started (tests and the daemon pass their own). */
export interface RunContext {
  /** Name the program was invoked as; `ptasker…` selects ptasker mode. Default `parallelr`. */
  programName?: string;
  /** How to start this CLI again (daemon mode). Default: this Node, its exec args and script. */
  selfArgv?: string[];
  /** Our process id (registry, file names). Default process.pid. */
  pid?: number;
}
